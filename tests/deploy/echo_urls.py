from django.http import HttpRequest, JsonResponse
from django.urls import include, path


def edge_echo(request: HttpRequest) -> JsonResponse:
    return JsonResponse(
        {
            "remote_addr": request.META.get("REMOTE_ADDR"),
            "x_forwarded_for": request.META.get("HTTP_X_FORWARDED_FOR"),
            "is_secure": request.is_secure(),
            "host": request.get_host(),
        }
    )


urlpatterns = [path("edge-echo", edge_echo), path("", include("gfms_portal.urls"))]
