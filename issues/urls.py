from django.urls import path

from . import meeting_views, views

app_name = "issues"
urlpatterns = [
    # tickets (views.py)
    path("", views.issue_board, name="board"),
    path("new/", views.issue_report, name="report"),
    path("close-out/", views.closeout_list, name="closeout"),
    path("close-out/export.xlsx", views.closeout_export, name="closeout-export"),
    path("supervision/", views.supervision_list, name="supervision"),
    path("<int:pk>/", views.issue_detail, name="detail"),
    path("<int:pk>/<str:action>/", views.issue_action, name="action"),
    # weekly meeting (meeting_views.py)
    path("meetings/", meeting_views.meeting_list, name="meetings"),
    path("meetings/new/", meeting_views.meeting_create, name="meeting-create"),
    path("meetings/<int:pk>/", meeting_views.meeting_detail, name="meeting-detail"),
    path("meetings/<int:pk>/print/", meeting_views.meeting_print, name="meeting-print"),
    path(
        "meetings/<int:pk>/items/<int:item_pk>/decision/",
        meeting_views.agenda_decision,
        name="agenda-decision",
    ),
]
