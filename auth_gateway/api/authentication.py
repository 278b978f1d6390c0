"""Service-client authentication: `Authorization: Bearer <key>`, nothing else (never a browser
session)."""

import logging

from django.core.cache import cache, caches
from django.core.cache.backends.redis import RedisCache
from django.utils.translation import gettext as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from rest_framework import authentication, exceptions, throttling
from rest_framework.request import Request

from auth_gateway.clients import known_client
from auth_gateway.models import ServiceClient, hash_key
from gfms_portal import metrics
from gfms_portal.clock import now

logger = logging.getLogger(__name__)


class ServiceClientAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request: Request) -> tuple[ServiceClient, None]:
        header = authentication.get_authorization_header(request).decode("latin-1")
        scheme, _space, key = header.partition(" ")
        if scheme != self.keyword or not key.strip():
            raise exceptions.NotAuthenticated(_("Authorization: Bearer <service key> is required."))
        client = known_client(hash_key(key.strip()), at=now())
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


class ClientQuota(throttling.BaseThrottle):
    """A per-client quota per minute, counted in the shared cache (Redis in production).

    If the cache itself fails, the request goes on unthrottled (and is logged): the quota
    protects capacity, it never decides a login, and a cache outage must not refuse every
    login in the country.
    """

    def allow_request(self, request: Request, view: object) -> bool:
        client = request.user
        if not isinstance(client, ServiceClient):
            return True
        minute = int(now().timestamp()) // 60
        key = f"gateway-quota:{client.pk}:{minute}"
        try:
            used = count_once(key, expire_after=120)
        except Exception:
            metrics.cache_error("gateway_quota")
            logger.exception("quota cache unavailable; request not throttled")
            return True
        self.retry_after = 60 - int(now().timestamp()) % 60
        return used <= client.requests_per_minute

    def wait(self) -> float | None:
        return getattr(self, "retry_after", 60)


def count_once(key: str, *, expire_after: int) -> int:
    """Add one to the counter `key` in the shared cache and return it; the counter expires
    `expire_after` seconds after it was started. On Redis one round trip (INCR, then EXPIRE
    only where none is set, pipelined); Django's cache API takes three (add, then exists and
    incr). Elsewhere (the in-process cache of the demo and the tests) that API."""
    backend = caches["default"]
    if isinstance(backend, RedisCache):
        full = backend.make_and_validate_key(key)
        # Django's RedisCacheClient hands out its redis-py client (the same connection pool).
        redis = backend._cache.get_client(full, write=True)  # type: ignore[attr-defined]  # not in django-stubs
        pipe = redis.pipeline(transaction=False)
        pipe.incr(full)
        pipe.expire(full, expire_after, nx=True)
        used, _expiry_set = pipe.execute()
        return int(used)
    cache.add(key, 0, timeout=expire_after)
    return cache.incr(key)
