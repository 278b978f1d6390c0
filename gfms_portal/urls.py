from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.urls import include, path, reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.views import SpectacularAPIView

from agencies.step_up import has_second_factor
from auth_gateway import demo, signin
from gfms_portal.health import healthz
from monitoring import account, forecast_views, officer_screen, schedule_views
from monitoring import metrics as monitoring_metrics
from monitoring import views as monitoring_views
from passwords import views as password_views
from registration import manage_views
from registration import views as registration_views
from tokens import views as token_views

admin.site.site_header = _("GFMS Soft Token Portal — administration")
admin.site.site_title = _("GFMS Soft Token Portal")


def admin_login(request: HttpRequest, extra_context: object = None) -> HttpResponse:
    """No second front door: the Django admin signs in through the portal (same lockout,
    second factor and audit rows)."""
    return redirect_to_login(request.GET.get("next") or reverse("admin:index"), reverse("login"))


def admin_has_permission(request: HttpRequest) -> bool:
    user = request.user
    return bool(user.is_active and user.is_staff and has_second_factor(request))


admin.site.login = admin_login  # type: ignore[method-assign]  # patch the default site, on purpose
admin.site.has_permission = admin_has_permission  # type: ignore[method-assign]  # patch the default site, on purpose

urlpatterns = [
    # First: every GFMS login check resolves its URL, and a match ends the search.
    path("api/", include("auth_gateway.urls")),
    path("", registration_views.home, name="home"),
    path("account/", account.account, name="account"),
    path("account/verify/", registration_views.account_verify, name="account_verify"),
    path("account/password/", password_views.password_change, name="password_change"),
    path(
        "account/recovery-codes/",
        registration_views.account_recovery_codes,
        name="account_recovery_codes",
    ),
    path(
        "account/replace-phone/",
        registration_views.account_replace_phone,
        name="account_replace_phone",
    ),
    path("manage/progress/", monitoring_views.manage_progress, name="manage_progress"),
    path("manage/progress/remind", monitoring_views.manage_remind, name="manage_remind"),
    path(
        "manage/progress/<str:code>/", monitoring_views.manage_progress, name="manage_progress_node"
    ),
    path("manage/officer-list/", monitoring_views.manage_officer_list, name="manage_officer_list"),
    path(
        "manage/legacy-logins/", monitoring_views.manage_legacy_logins, name="manage_legacy_logins"
    ),
    path(
        "manage/officer-list.<str:fmt>",
        monitoring_views.manage_officer_list_export,
        name="manage_officer_list_export",
    ),
    path("manage/forecast/", forecast_views.manage_forecast, name="manage_forecast"),
    path(
        "manage/forecast/remind",
        forecast_views.manage_forecast_remind,
        name="manage_forecast_remind",
    ),
    path(
        "manage/forecast/<str:code>/", forecast_views.manage_forecast, name="manage_forecast_node"
    ),
    path(
        "manage/forecast.<str:fmt>",
        forecast_views.manage_forecast_export,
        name="manage_forecast_export",
    ),
    path("manage/schedule/", schedule_views.manage_schedule, name="manage_schedule"),
    path("manage/audit-log/", include("monitoring.audit_urls")),
    path("manage/officers/", manage_views.manage_officer_search, name="manage_officer_search"),
    path("manage/officers/<str:username>/", officer_screen.manage_officer, name="manage_officer"),
    path(
        "manage/officers/<str:username>/password-reset",
        password_views.manage_officer_password_reset,
        name="manage_officer_password_reset",
    ),
    path("manage/token-keys/", token_views.manage_token_keys, name="manage_token_keys"),
    path(
        "manage/token-keys/progress/",
        token_views.manage_token_key_progress,
        name="manage_token_key_progress",
    ),
    path(
        "manage/token-keys/outstanding.<str:fmt>",
        token_views.manage_token_keys_export,
        name="manage_token_keys_export",
    ),
    path("manage/shipments/", token_views.manage_shipments, name="manage_shipments"),
    path(
        "manage/shipments/<int:shipment_id>/", token_views.manage_shipment, name="manage_shipment"
    ),
    path(
        "manage/shipments/<int:shipment_id>/manifest.pdf",
        token_views.manage_shipment_manifest,
        name="manage_shipment_manifest",
    ),
    path("register/", registration_views.register, name="register"),
    path("register/email/", registration_views.register_email, name="register_email"),
    path("register/warning/", registration_views.register_warning, name="register_warning"),
    path("register/qr/", registration_views.register_qr, name="register_qr"),
    path("register/codes/", registration_views.register_codes, name="register_codes"),
    path("register/done/", registration_views.register_done, name="register_done"),
    path(
        "register/bootstrap/<str:token>/",
        registration_views.register_bootstrap,
        name="register_bootstrap",
    ),
    path("login/", signin.login, name="login"),
    path("login/code/", signin.login_code, name="login_code"),
    # Under /login/: the edge limits sign-in posts per address there (deploy/nginx).
    path("login/password/", password_views.password_forgotten, name="password_forgotten"),
    path(
        "login/password/codes/",
        password_views.password_forgotten_codes,
        name="password_forgotten_codes",
    ),
    path(
        "login/password/new/", password_views.password_forgotten_new, name="password_forgotten_new"
    ),
    path("login/password/link/", password_views.password_link_new, name="password_link_new"),
    path("login/password/link/open/", password_views.password_link, name="password_link"),
    path("login/password/done/", password_views.password_done, name="password_done"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("healthz", healthz, name="healthz"),
    # Prometheus: the monitoring network only (nginx and METRICS_ALLOW; docs/monitoring.md).
    path("metrics", monitoring_metrics.scrape, name="metrics"),
    path("demo/gfms-login/", demo.gfms_login, name="demo-gfms-login"),
    path("demo/gfms-login/phase", demo.demo_phase, name="demo-gfms-phase"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", include("auth_gateway.api.docs")),
]
