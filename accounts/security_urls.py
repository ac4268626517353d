"""The security administrator's pages (/security/)."""

from django.urls import path

from accounts import security_views as views

urlpatterns = [
    path("lockouts/", views.lockouts, name="security-lockouts"),
    path("lockouts/<int:pk>/unlock/", views.unlock, name="security-unlock"),
    path("tokens/", views.token_list, name="security-tokens"),
    path("tokens/<int:user_id>/revoke/", views.token_revoke, name="security-token-revoke"),
    path("tokens/<int:user_id>/expiry/", views.token_expiry, name="security-token-expiry"),
]
