from django.apps import AppConfig


class GfmsPortalConfig(AppConfig):
    name = "gfms_portal"
    verbose_name = "GFMS Soft Token Portal"

    def ready(self) -> None:
        from gfms_portal import checks  # noqa: F401  (registers the system checks)

        # Tasks are dispatched by name (outbox.services.dispatch); register every app's
        # tasks module now that the apps are loaded, in web processes as in workers.
        from gfms_portal.celery import app

        app.autodiscover_tasks(force=True)
