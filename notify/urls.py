from django.urls import path

from . import views

app_name = "notify"

urlpatterns = [
    path("", views.centre, name="centre"),
    path("<int:pk>/", views.open_notification, name="open"),
    path("read-all/", views.read_all, name="read-all"),
    path("settings/", views.preferences, name="preferences"),
    path("deliveries/", views.deliveries, name="deliveries"),
    path("units/", views.unit_channels, name="unit-channels"),
    path("units/new/", views.unit_channel_edit, name="unit-channel-new"),
    path("units/<int:pk>/", views.unit_channel_edit, name="unit-channel"),
]
