from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuthGatewayConfig(AppConfig):
    name = "auth_gateway"
    verbose_name = _("Auth gateway")
