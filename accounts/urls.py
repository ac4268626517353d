from django.urls import path

from accounts import security_views as views

urlpatterns = [
    path("password/", views.PasswordChangeView.as_view(), name="password_change"),
    path("sessions/", views.my_sessions, name="my-sessions"),
]
