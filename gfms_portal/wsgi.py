"""The WSGI entry point (gunicorn gfms_portal.wsgi:application, see gunicorn.conf.py).

Django reads X-Forwarded-Proto (SECURE_PROXY_SSL_HEADER) and any code may read
X-Forwarded-For, but only the reverse proxy may set them: a client that reaches gunicorn some
other way, or sends its own header through a proxy that appends, must not choose the address
recorded for a login or make plain HTTP look like HTTPS. So, before Django:

- from a peer in GFMS_TRUSTED_PROXIES, REMOTE_ADDR becomes the address the proxy put in
  X-Forwarded-For (deploy/nginx overwrites that header with the address it saw, so it holds
  one address; if a proxy appended anyway, the last entry is the one it added);
- from anyone else, every forwarding header is dropped.

Either way X-Forwarded-For itself is removed, so nothing downstream can read a client-chosen
list. gunicorn's access log shows the same REMOTE_ADDR (it logs this environ).
"""

import contextlib
import ipaddress
import os
from collections.abc import Callable, Iterable
from typing import Any

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gfms_portal.settings")

FORWARDING_HEADERS = (
    "HTTP_X_FORWARDED_FOR",
    "HTTP_X_FORWARDED_PROTO",
    "HTTP_X_FORWARDED_HOST",
    "HTTP_X_FORWARDED_PORT",
    "HTTP_X_REAL_IP",
    "HTTP_FORWARDED",
)

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def trusted_networks(entries: Iterable[str]) -> list[Network]:
    return [ipaddress.ip_network(entry, strict=False) for entry in entries]


def is_trusted(address: str | None, networks: list[Network]) -> bool:
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return False
    return any(ip in network for network in networks)


def apply_proxy_headers(environ: dict[str, Any], networks: list[Network]) -> None:
    """Rewrite `environ` in place as the module docstring says."""
    if is_trusted(environ.get("REMOTE_ADDR"), networks):
        forwarded = environ.pop("HTTP_X_FORWARDED_FOR", "").rsplit(",", 1)[-1].strip()
        # No (or a garbled) header: the proxy's own address stays.
        with contextlib.suppress(ValueError):
            environ["REMOTE_ADDR"] = str(ipaddress.ip_address(forwarded))
        return
    for header in FORWARDING_HEADERS:
        environ.pop(header, None)


class TrustedProxyMiddleware:
    def __init__(self, app: Callable[..., Any], networks: list[Network]) -> None:
        self.app = app
        self.networks = networks

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        apply_proxy_headers(environ, self.networks)
        return self.app(environ, start_response)


def _application() -> TrustedProxyMiddleware:
    django_app = get_wsgi_application()
    from django.conf import settings

    return TrustedProxyMiddleware(django_app, trusted_networks(settings.GFMS_TRUSTED_PROXIES))


application = _application()
