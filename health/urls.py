"""Under /healthz/ (config/urls.py); health/views.py says what each answers."""

from django.urls import path

from .views import WEB, HealthView

urlpatterns = [
    path("", HealthView.as_view(), name="healthz"),
    path("web/", HealthView.as_view(components=WEB), name="healthz-web"),
    path("live/", HealthView.as_view(components=()), name="healthz-live"),
]
