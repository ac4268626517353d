from django.urls import path

from . import views

app_name = "funding"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("records/export.xlsx", views.records_export, name="records-export"),
]
