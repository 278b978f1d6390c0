"""The service clients the gateway answers, looked up by key hash with a short per-process copy."""

import datetime as dt

from auth_gateway.models import ServiceClient

# Every check authenticates its caller: each process looks a key up at most once every
# CLIENT_CACHE_SECONDS. A key revoked in this process stops at once (revoke_service_client
# drops the copies); in the other processes within CLIENT_CACHE_SECONDS. Unknown keys are never
# remembered (a stream of random keys must not fill memory), and a new key works at once.
CLIENT_CACHE_SECONDS = 5
CLIENT_CACHE_SIZE = 100
_clients: dict[str, tuple[dt.datetime, ServiceClient]] = {}


def known_client(key_hash: str, *, at: dt.datetime) -> ServiceClient | None:
    """The live client with this key hash, as of at most CLIENT_CACHE_SECONDS before `at`."""
    cached = _clients.get(key_hash)
    if cached is not None and cached[0] <= at < cached[0] + dt.timedelta(
        seconds=CLIENT_CACHE_SECONDS
    ):
        return cached[1]
    client = ServiceClient.objects.filter(key_hash=key_hash, revoked_at__isnull=True).first()
    if client is None:
        _clients.pop(key_hash, None)
        return None
    if len(_clients) >= CLIENT_CACHE_SIZE:
        _clients.clear()
    _clients[key_hash] = (at, client)
    return client


def forget_cached_clients() -> None:
    _clients.clear()
