"""Service-client authentication: `Authorization: Bearer <key>`, nothing else (never a browser
session)."""

import logging

from django.utils.translation import gettext as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from rest_framework import authentication, exceptions, throttling
from rest_framework.request import Request

from auth_gateway.clients import known_client
from auth_gateway.models import ServiceClient, hash_key
from auth_gateway.quota import quota_counts
from gfms_portal import metrics
from gfms_portal.clock import now

logger = logging.getLogger(__name__)


KEYWORD = "Bearer"


def bearer_key(header: str) -> str | None:
    """The key in an `Authorization: Bearer <key>` header, or None if there is none."""
    scheme, _space, key = header.partition(" ")
    if scheme != KEYWORD or not key.strip():
        return None
    return key.strip()


def client_for(key: str) -> ServiceClient | None:
    """The live client holding `key` (auth_gateway.clients keeps a short per-process copy)."""
    return known_client(hash_key(key), at=now())


class ServiceClientAuthentication(authentication.BaseAuthentication):
    keyword = KEYWORD

    def authenticate(self, request: Request) -> tuple[ServiceClient, None]:
        header = authentication.get_authorization_header(request).decode("latin-1")
        if (key := bearer_key(header)) is None:
            raise exceptions.NotAuthenticated(_("Authorization: Bearer <service key> is required."))
        client = client_for(key)
        if client is None:
            raise exceptions.AuthenticationFailed(_("Unknown or revoked service key."))
        return client, None

    def authenticate_header(self, request: Request) -> str:
        return f'{self.keyword} realm="gfms-auth-gateway"'


class ServiceClientScheme(OpenApiAuthenticationExtension):
    target_class = ServiceClientAuthentication
    name = "serviceKey"

    def get_security_definition(self, auto_schema: AutoSchema) -> dict[str, str]:
        return {"type": "http", "scheme": "bearer", "description": "Service client key"}


def within_quota(client: ServiceClient) -> tuple[bool, int]:
    """Count one request of `client` in this minute: (within its quota, seconds until the
    next minute). If the cache itself fails, the request goes on (and is logged)."""
    moment = int(now().timestamp())
    key = f"gateway-quota:{client.pk}:{moment // 60}"
    try:
        used = quota_counts.add(key, limit=client.requests_per_minute)
    except Exception:
        metrics.cache_error("gateway_quota")
        logger.exception("quota cache unavailable; request not throttled")
        return True, 60
    return used <= client.requests_per_minute, 60 - moment % 60


class ClientQuota(throttling.BaseThrottle):
    """A per-client quota per minute, counted in the shared cache (Redis in production), in
    batches per process (auth_gateway.quota).

    If the cache itself fails, the request goes on unthrottled (and is logged): the quota
    protects capacity, it never decides a login, and a cache outage must not refuse every
    login in the country.
    """

    def allow_request(self, request: Request, view: object) -> bool:
        client = request.user
        if not isinstance(client, ServiceClient):
            return True
        allowed, self.retry_after = within_quota(client)
        return allowed

    def wait(self) -> float | None:
        return getattr(self, "retry_after", 60)
