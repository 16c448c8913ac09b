from django.urls import path

from . import views

app_name = "catalog"
urlpatterns = [
    path("catalog/import/", views.import_page, name="import"),
    path("catalog/export.xlsx", views.export_view, name="export"),
    path("catalog/import/template.xlsx", views.template_view, name="import_template"),
    path("catalog/drafts/", views.drafts_page, name="drafts"),
    path("catalog/items/<str:code>/draft/", views.new_draft_view, name="new_draft"),
]
