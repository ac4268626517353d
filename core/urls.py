"""The pages of background exports: progress, status (polled), download."""

from django.urls import path

from . import views

app_name = "exports"
urlpatterns = [
    path("<int:pk>/", views.export_detail, name="detail"),
    path("<int:pk>/status/", views.export_status, name="status"),
    path("<int:pk>/download/", views.export_download, name="download"),
]
