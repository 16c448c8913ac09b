from django.urls import path

from . import views

app_name = "workflow"
urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("steps/<int:step_id>/", views.step_page, name="step"),
    path("steps/<int:step_id>/act/", views.step_act, name="act"),
    path("decisions/", views.decisions, name="decisions"),
    path("decisions/<str:number>/", views.decide, name="decide"),
    path("decisions/<str:number>/preview-<str:kind>.pdf", views.preview, name="preview"),
    path("documents/<int:doc_id>.pdf", views.document, name="document"),
]
