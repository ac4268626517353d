"""The second factor's pages (/accounts/otp/, accounts/twofactor.py)."""

from django.urls import path

from accounts import twofactor as views

urlpatterns = [
    path("", views.manage, name="otp-manage"),
    path("setup/", views.setup, name="otp-setup"),
    path("verify/", views.verify, name="otp-verify"),
    path("codes/", views.new_codes, name="otp-new-codes"),
    path("disable/", views.disable, name="otp-disable"),
    path("devices/", views.devices, name="otp-devices"),
    path("devices/<int:user_id>/reset/", views.reset, name="otp-reset"),
]
