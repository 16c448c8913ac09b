from django.urls import path

from . import views

app_name = "workcal"
urlpatterns = [path("notice/", views.notice_page, name="notice")]
