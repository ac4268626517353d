from django.urls import path, re_path

from . import views

app_name = "progress"
#: a county (6-digit code) and a month (YYYY-MM)
MONTH = r"^(?P<region>\d{6})/(?P<period>\d{4}-\d{2})/"

urlpatterns = [
    path("", views.index, name="index"),
    path("handbook.xlsx", views.handbook, name="handbook"),
    path("imports/<int:pk>/", views.import_detail, name="import"),
    path("imports/<int:pk>/status.json", views.import_status, name="import-status"),
    path("reports/<int:pk>/<str:action>/", views.report_action, name="report-action"),
    re_path(MONTH + r"$", views.sheet, name="form"),
    re_path(MONTH + r"template\.xlsx$", views.sheet_template, name="template"),
    re_path(MONTH + r"upload/$", views.sheet_upload, name="upload"),
    re_path(MONTH + r"approve-all/$", views.approve_all, name="approve-all"),
]
