from django.urls import path

from . import views

app_name = "supervision"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("cases/", views.cases, name="cases"),
    path("figures/<slug:key>/", views.figure, name="figure"),
    path("figures/<slug:key>/export.xlsx", views.export_figure, name="export_figure"),
    path("export.xlsx", views.export_dashboard, name="export"),
    path("report.pdf", views.report, name="report"),
    path("warnings/", views.warnings, name="warnings"),
]
