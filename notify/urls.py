from django.urls import path

from . import views

app_name = "notify"

urlpatterns = [
    path("", views.centre, name="centre"),
    path("<int:pk>/", views.open_notification, name="open"),
    path("read-all/", views.read_all, name="read-all"),
    path("settings/", views.preferences, name="preferences"),
    path("deliveries/", views.deliveries, name="deliveries"),
]
