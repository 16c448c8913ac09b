from django.urls import path

from . import views

app_name = "exchange"
urlpatterns = [
    path("", views.index, name="index"),
    path("subscriptions/", views.subscribe, name="subscribe"),
    path("subscriptions/<int:pk>/replay/", views.replay, name="replay"),
    path("receiver/", views.receiver, name="receiver"),
]
