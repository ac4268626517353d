from django.urls import path

from . import views

app_name = "reports"

urlpatterns = [
    path("", views.report_list, name="list"),
    path("request/", views.report_request, name="request"),
    path("<int:pk>/", views.report_detail, name="detail"),
    path("<int:pk>/status.json", views.report_status, name="status"),
    path("<int:pk>/file/", views.report_file, name="file"),
    path("<int:pk>/publish/", views.report_publish, name="publish"),
    path("<int:pk>/retry/", views.report_retry, name="retry"),
    path("<int:pk>/regenerate/", views.report_regenerate, name="regenerate"),
]
