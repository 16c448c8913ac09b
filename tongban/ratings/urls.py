from django.urls import path

from . import views

app_name = "ratings"
urlpatterns = [
    path("", views.handlings, name="handlings"),
    path("handlings/<int:pk>/", views.handling, name="handling"),
    path("tablet/<int:window_id>/", views.tablet, name="tablet"),
    path("public/", views.publication, name="publication"),
]
