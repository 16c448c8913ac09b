from django.urls import path

from . import views

app_name = "portal"
urlpatterns = [
    path("", views.home, name="home"),
    path("catalog/", views.catalogue, name="catalogue"),
    path("search/", views.search_page, name="search"),
    path("guide/<str:code>/", views.guide_page, name="guide"),
    path("bundles/<str:code>/", views.bundle_page, name="bundle"),
    path("catalog/delegation/", views.delegation_page, name="delegation"),
    path("track/<str:number>/<str:token>/", views.track, name="track"),
]
