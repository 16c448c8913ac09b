from django.contrib.auth import views as auth_views
from django.urls import path

from . import my_views, views

app_name = "portal"
urlpatterns = [
    path("", views.home, name="home"),
    path("catalog/", views.catalogue, name="catalogue"),
    path("search/", views.search_page, name="search"),
    path("guide/<str:code>/", views.guide_page, name="guide"),
    path("bundles/<str:code>/", views.bundle_page, name="bundle"),
    path("catalog/delegation/", views.delegation_page, name="delegation"),
    path("track/<str:number>/<str:token>/", views.track, name="track"),
    path("progress/", my_views.progress, name="progress"),
    path("kiosk/", my_views.kiosk, name="kiosk"),
    path("my/login/", my_views.ApplicantLogin.as_view(), name="my_login"),
    path("my/logout/", auth_views.LogoutView.as_view(next_page="/"), name="my_logout"),
    path("my/register/", my_views.register, name="my_register"),
    path("my/", my_views.home, name="my_home"),
    path("my/apply/<str:code>/", my_views.apply, name="apply"),
    path("my/apply-bundle/<str:code>/", my_views.apply_bundle, name="apply_bundle"),
    path("my/drafts/<int:pk>/delete/", my_views.delete_draft, name="delete_draft"),
    path("my/cases/<str:number>/", my_views.case_page, name="my_case"),
    path("my/cases/<str:number>/notices/<int:pk>.pdf", my_views.notice_pdf, name="my_notice_pdf"),
    path("my/cases/<str:number>/documents/<int:pk>.pdf", my_views.document_pdf, name="my_document_pdf"),
    path("my/enterprises/<str:code>/", my_views.enterprise_page, name="enterprise"),
    path("my/cases/<str:number>/payments/<str:order_no>/pay/", my_views.pay, name="pay"),
    path("my/cases/<str:number>/payments/<str:order_no>/receipt.pdf", my_views.receipt_pdf, name="receipt"),
    path("pay/demo/<str:order_no>/", my_views.demo_cashier, name="demo_cashier"),
]
