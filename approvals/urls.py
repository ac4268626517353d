from django.urls import path

from . import views

app_name = "approvals"
urlpatterns = [
    path("", views.approval_board, name="board"),
    path("new/", views.approval_create, name="create"),
    path("performance/", views.performance, name="performance"),
    path("performance/export.xlsx", views.performance_export, name="performance-export"),
    path("<int:pk>/", views.approval_detail, name="detail"),
    path("<int:pk>/edit/", views.approval_edit, name="edit"),
    path("<int:pk>/<str:action>/", views.approval_action, name="action"),
]
