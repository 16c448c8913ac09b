from django.urls import path

from . import views

app_name = "licences"
urlpatterns = [
    path("", views.index, name="index"),
    path("verify/<str:identifier>/", views.verify, name="verify"),
    path("wallet/", views.staff_wallet, name="wallet"),
    path("wallet/<str:token>/", views.holder_wallet, name="holder_wallet"),
    path("wallet/<str:token>/<str:identifier>.pdf", views.holder_file, name="holder_file"),
    path("use/", views.use, name="use"),
    path("uses/<int:use_id>/copy.pdf", views.use_copy, name="use_copy"),
    path("manage/<str:identifier>/", views.manage, name="manage"),
    path("manage/<str:identifier>/act/", views.manage_act, name="manage_act"),
    path("manage/<str:identifier>/licence.pdf", views.manage_file, name="file"),
]
