from django.apps import AppConfig


class GfmsPortalConfig(AppConfig):
    name = "gfms_portal"
    verbose_name = "GFMS Soft Token Portal"

    def ready(self) -> None:
        from django.core.signals import got_request_exception

        from gfms_portal import checks  # noqa: F401  (registers the system checks)
        from gfms_portal.metrics import count_unhandled_database_error

        got_request_exception.connect(
            count_unhandled_database_error, dispatch_uid="gfms-metrics-database-errors"
        )

        # Tasks are dispatched by name (outbox.services.dispatch); register every app's
        # tasks module now that the apps are loaded, in web processes as in workers.
        from gfms_portal.celery import app

        app.autodiscover_tasks(force=True)
