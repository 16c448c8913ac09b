from django.urls import path

from . import views

app_name = "projects"
urlpatterns = [
    path("", views.project_list, name="list"),
    path("new/", views.project_new, name="new"),
    path("agency/statistics/", views.stats, name="stats"),
    path("progress/<str:token>/", views.progress, name="progress"),
    path("<str:code>/", views.project_detail, name="detail"),
    path("<str:code>/stages/<int:stage>/apply/", views.apply, name="apply"),
    path("<str:code>/pre-approval/", views.pre_approval, name="pre_approval"),
    path("<str:code>/agency/request/", views.agency_request, name="agency_request"),
    path("<str:code>/agency/agreement/", views.agreement, name="agreement"),
    path("<str:code>/agency/handoff/", views.handoff, name="handoff"),
    path("<str:code>/agency/handoff/<int:handoff_id>/receive/", views.handoff_receive, name="handoff_receive"),
    path("<str:code>/agency/meeting/", views.meeting, name="meeting"),
    path("<str:code>/agency/ledger/", views.ledger, name="ledger"),
    path("<str:code>/agency/nodes/<int:node_id>/done/", views.node_done, name="node_done"),
]
