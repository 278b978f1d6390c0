from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView

from agencies import views as agency_views
from auth_gateway import demo
from gfms_portal.health import healthz
from registration import views as registration_views

admin.site.site_header = _("GFMS Soft Token Portal — administration")
admin.site.site_title = _("GFMS Soft Token Portal")

urlpatterns = [
    path("", registration_views.home, name="home"),
    path("account/", agency_views.account, name="account"),
    path(
        "login/",
        auth_views.LoginView.as_view(template_name="registration/login.html"),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("healthz", healthz, name="healthz"),
    path("demo/gfms-login/", demo.gfms_login, name="demo-gfms-login"),
    path("demo/gfms-login/phase", demo.demo_phase, name="demo-gfms-phase"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/", include("auth_gateway.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularRedocView.as_view(url_name="api-schema"), name="api-docs"),
]
