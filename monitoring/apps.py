from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MonitoringConfig(AppConfig):
    name = "monitoring"
    verbose_name = _("Monitoring")

    def ready(self) -> None:
        # Imported once the apps are loaded (Django's convention for ready()): the weekly
        # digest, written in registration (below the gateway), gets the forecast of
        # tomorrow's refusals from here (registration.reminders.add_to_digest).
        from monitoring.forecast import digest_forecast
        from registration.reminders import add_to_digest

        add_to_digest(digest_forecast)
