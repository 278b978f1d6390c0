"""The service clients the gateway answers, looked up by key hash with a short per-process copy."""

import datetime as dt

from auth_gateway.models import ServiceClient
from gfms_portal.copies import Copies

# Every check authenticates its caller: each process looks a key up at most once every
# CLIENT_CACHE_SECONDS. A key revoked in this process stops at once (revoke_service_client
# drops the copies); in the other processes within CLIENT_CACHE_SECONDS. Unknown keys are never
# remembered (a stream of random keys must not fill memory), and a new key works at once.
CLIENT_CACHE_SECONDS = 5
_clients: Copies[str, ServiceClient] = Copies(seconds=CLIENT_CACHE_SECONDS)


def known_client(key_hash: str, *, at: dt.datetime) -> ServiceClient | None:
    """The live client with this key hash, as of at most CLIENT_CACHE_SECONDS before `at`."""
    if (client := _clients.get(key_hash, at=at)) is not None:
        return client
    client = ServiceClient.objects.filter(key_hash=key_hash, revoked_at__isnull=True).first()
    if client is None:
        _clients.drop(key_hash)
        return None
    return _clients.put(key_hash, client, at=at)


def forget_cached_clients() -> None:
    _clients.clear()
