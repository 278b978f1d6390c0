from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_safe

from gfms_portal import metrics


@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness for the load balancer: 200 when the database answers, 503 otherwise."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception:  # any database failure means "not healthy", never a 500 page
        metrics.database_error("healthz")
        return JsonResponse({"status": "unavailable"}, status=503)
    return JsonResponse({"status": "ok"})
