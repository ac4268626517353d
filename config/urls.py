from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView

from accounts.forms import AdminSignInForm
from accounts.views import LoginView
from cockpit.views import home as cockpit_home
from config.api_docs import SwaggerView

admin.site.site_header = "重大项目全链条推进平台 · 管理后台"
admin.site.site_title = "重大项目平台管理"
admin.site.index_title = "基础数据管理"
admin.site.login_form = AdminSignInForm  # under the sign-in throttle, as the login page

urlpatterns = [
    path("", cockpit_home, name="home"),
    path("accounts/login/", LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/otp/", include("accounts.otp_urls")),  # the second factor
    path("accounts/", include("accounts.urls")),  # password change, my sessions
    path("security/", include("accounts.security_urls")),  # lockouts, tokens
    path("i18n/", include("django.conf.urls.i18n")),
    path("projects/", include("projects.urls")),
    path("schedule/", include("schedule.urls")),
    path("issues/", include("issues.urls")),
    path("approvals/", include("approvals.urls")),
    path("funding/", include("funding.urls")),
    path("progress/", include("progress.urls")),
    path("indicators/", include("indicators.urls")),
    path("reports/", include("reports.urls")),
    path("fieldservice/", include("fieldservice.urls")),
    path("attachments/", include("attachments.urls")),
    path("open-data/", include("opendata.urls")),  # public: the OC4IDS files
    path("exports/", include("core.urls")),  # large exports, in the background
    path("todo/", include("todo.urls")),
    path("notifications/", include("notify.urls")),
    path("webhooks/", include("webhooks.urls")),
    path("audit/", include("audit.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include("config.api_router")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("healthz/", include("health.urls")),  # each component's health (health/views.py)
]

# MEDIA_ROOT holds uploads and generated documents only, never served as they are: each is
# handed out by a view that checks the reader's scope (reports, progress imports).

# The platform's own error pages (Chinese) for pages, the API's JSON error shape under /api/
# (core/views.py); Django uses them whenever DEBUG is off.
handler400 = "core.views.bad_request"
handler403 = "core.views.permission_denied"
handler404 = "core.views.page_not_found"
handler500 = "core.views.server_error"
