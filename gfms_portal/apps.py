from django.apps import AppConfig


class GfmsPortalConfig(AppConfig):
    name = "gfms_portal"
    verbose_name = "GFMS Soft Token Portal"

    def ready(self) -> None:
        from gfms_portal import checks  # noqa: F401  (registers the system checks)
