from django.urls import path

from . import views

app_name = "cases"
urlpatterns = [
    path("", views.workbench, name="workbench"),
    path("new/", views.new_case, name="new"),
    path("cases/<str:number>/", views.case_detail, name="detail"),
    path("cases/<str:number>/act/", views.case_action, name="act"),
    path("cases/<str:number>/notices/<int:notice_id>.pdf", views.notice_pdf, name="notice"),
    path("cases/<str:number>/materials/<int:material_id>/", views.material_file, name="material"),
    path("cases/<str:number>/documents/<int:doc_id>.pdf", views.document_pdf, name="document"),
]
