from django.urls import path

from . import oversight_views, views

app_name = "workflow"
urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("steps/<int:step_id>/", views.step_page, name="step"),
    path("steps/<int:step_id>/act/", views.step_act, name="act"),
    path("steps/<int:step_id>/chase/", oversight_views.chase, name="chase"),
    path("decisions/", views.decisions, name="decisions"),
    path("decisions/<str:number>/", views.decide, name="decide"),
    path("decisions/<str:number>/preview-<str:kind>.pdf", views.preview, name="preview"),
    path("documents/<int:doc_id>.pdf", views.document, name="document"),
    path("documents/<str:kind>/<int:pk>/retry/", views.retry_document, name="retry_document"),
    path("cases/<str:number>/timeline/", oversight_views.case_timeline, name="timeline"),
    path("lead/", oversight_views.lead, name="lead"),
    path("escalations/", oversight_views.escalations, name="escalations"),
    path("escalations/<int:step_id>/reassign/", oversight_views.reassign, name="reassign"),
]
