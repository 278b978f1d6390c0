"""Token Key challenges and signatures; /methods, /health, the schema and docs; the quota;
the service-client and sign_challenge commands."""

import base64
import datetime as dt
from io import StringIO

import pytest
import time_machine
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa, utils
from django.core.management import CommandError, call_command
from django.test import Client

from agencies.models import Officer
from auth_gateway.models import ServiceClient, TokenKeyChallenge
from auth_gateway.services import CHALLENGE_LIFETIME
from tests.auth_gateway.conftest import AFTER_CUTOVER, IN_WINDOW, b64
from tests.conftest import PASSWORD
from tests.factories import TokenKeyFactory
from tokens.demo import demo_private_key
from tokens.models import TokenKey, TokenKeyState

pytestmark = pytest.mark.django_db


def get_challenge(api, username: str = "dave", serial: str = "DEMO-DAVE-1") -> dict:
    response = api("/api/v1/auth/challenge", {"username": username, "serial": serial})
    assert response.status_code == 200, response.content
    return response.json()


def token_key_login(challenge: dict, signature: bytes, username: str = "dave") -> dict:
    return {
        "username": username,
        "password": PASSWORD,
        "method": "token_key",
        "challenge_id": challenge["challenge_id"],
        "signature": b64(signature),
    }


def demo_sign(challenge: dict, serial: str = "DEMO-DAVE-1") -> bytes:
    return demo_private_key(serial).sign(
        base64.b64decode(challenge["challenge"]), ec.ECDSA(hashes.SHA256())
    )


@time_machine.travel(IN_WINDOW, tick=False)
def test_token_key_challenge_answers_the_documented_fields(api, device: TokenKey) -> None:
    challenge = get_challenge(api)
    assert len(base64.b64decode(challenge["challenge"])) * 8 >= 128
    assert dt.datetime.fromisoformat(challenge["expires_at"]) == IN_WINDOW + dt.timedelta(
        seconds=120
    )
    assert get_challenge(api)["challenge"] != challenge["challenge"]


@time_machine.travel(IN_WINDOW, tick=False)
def test_ecdsa_signature_allows_once(api, device: TokenKey) -> None:
    challenge = get_challenge(api)
    body = api("/api/v1/auth/check", token_key_login(challenge, demo_sign(challenge))).json()
    assert (body["decision"], body["reason"], body["aal"]) == ("allow", "ok", 2)
    again = api("/api/v1/auth/check", token_key_login(challenge, demo_sign(challenge))).json()
    assert (again["decision"], again["reason"]) == ("deny", "challenge_expired")


@time_machine.travel(IN_WINDOW, tick=False)
def test_raw_r_s_signature_from_a_pkcs11_token_is_accepted(api, device: TokenKey) -> None:
    challenge = get_challenge(api)
    r, s = utils.decode_dss_signature(demo_sign(challenge))
    raw = r.to_bytes(32, "big") + s.to_bytes(32, "big")
    assert api("/api/v1/auth/check", token_key_login(challenge, raw)).json()["reason"] == "ok"


@time_machine.travel(IN_WINDOW, tick=False)
def test_rsa_2048_pkcs1v15_signature(api, dave: Officer) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    TokenKeyFactory.create(
        serial="TK-RSA-1", officer=dave, public_key_pem=pem.decode(), updated_at=IN_WINDOW
    )
    challenge = get_challenge(api, serial="TK-RSA-1")
    signature = key.sign(
        base64.b64decode(challenge["challenge"]), padding.PKCS1v15(), hashes.SHA256()
    )
    assert api("/api/v1/auth/check", token_key_login(challenge, signature)).json()["reason"] == "ok"
    wrong = get_challenge(api, serial="TK-RSA-1")
    assert (
        api("/api/v1/auth/check", token_key_login(wrong, signature)).json()["reason"]
        == "invalid_signature"
    )


@time_machine.travel(IN_WINDOW, tick=False)
def test_signature_by_another_key_is_invalid(api, device: TokenKey) -> None:
    challenge = get_challenge(api)
    body = api(
        "/api/v1/auth/check", token_key_login(challenge, demo_sign(challenge, "DEMO-OTHER"))
    ).json()
    assert (body["decision"], body["reason"]) == ("deny", "invalid_signature")
    assert Officer.objects.get(username="dave").failed_logins == 1


def test_challenge_expires_after_120_seconds(api, device: TokenKey) -> None:
    with time_machine.travel(IN_WINDOW, tick=False) as clock:
        challenge = get_challenge(api)
        clock.move_to(IN_WINDOW + CHALLENGE_LIFETIME)
        body = api("/api/v1/auth/check", token_key_login(challenge, demo_sign(challenge))).json()
    assert body["reason"] == "challenge_expired"


@time_machine.travel(IN_WINDOW, tick=False)
def test_challenge_is_bound_to_its_username(api, device: TokenKey, charlie: Officer) -> None:
    challenge = get_challenge(api, username="charlie")
    body = api("/api/v1/auth/check", token_key_login(challenge, demo_sign(challenge))).json()
    assert body["reason"] == "challenge_expired"


@pytest.mark.parametrize(
    "state",
    [
        TokenKeyState.LOST,
        TokenKeyState.HANDED_OVER,
        TokenKeyState.IN_SHIPMENT,
        TokenKeyState.RECEIVED,
        TokenKeyState.DAMAGED,
    ],
)
@time_machine.travel(IN_WINDOW, tick=False)
def test_device_that_left_its_officer_never_signs_a_login(
    api, device: TokenKey, state: str
) -> None:
    TokenKey.objects.filter(pk=device.pk).update(state=state)
    challenge = get_challenge(api)
    body = api("/api/v1/auth/check", token_key_login(challenge, demo_sign(challenge))).json()
    assert (body["decision"], body["reason"]) == ("deny", "token_key_not_usable")


@time_machine.travel(IN_WINDOW, tick=False)
def test_someone_elses_device_is_not_usable(api, device: TokenKey, charlie: Officer) -> None:
    challenge = get_challenge(api, username="charlie")
    body = api(
        "/api/v1/auth/check", token_key_login(challenge, demo_sign(challenge), username="charlie")
    ).json()
    assert body["reason"] == "token_key_not_usable"


@time_machine.travel(AFTER_CUTOVER, tick=False)
def test_token_key_is_refused_after_cutover(api, device: TokenKey) -> None:
    challenge = get_challenge(api)
    body = api("/api/v1/auth/check", token_key_login(challenge, demo_sign(challenge))).json()
    assert (body["decision"], body["reason"]) == ("deny", "not_registered")
    # The challenge was not consumed by a refused method.
    assert TokenKeyChallenge.objects.get(pk=challenge["challenge_id"]).used_at is None


@time_machine.travel(IN_WINDOW, tick=False)
def test_challenge_for_unknown_user_looks_the_same(api) -> None:
    assert set(get_challenge(api, username="nobody", serial="TK-0000")) == {
        "challenge_id",
        "challenge",
        "expires_at",
    }


def test_bad_serial_is_400(api) -> None:
    response = api("/api/v1/auth/challenge", {"username": "dave", "serial": "no spaces!"})
    assert response.status_code == 400
    assert "serial" in response.json()


# --- methods, health, schema, docs ----------------------------------------------------------------


OFFERED_IN_WINDOW = {
    "phase": "window",
    "allowed_methods": ["soft_token", "token_key", "password"],
    "registered": None,
}
OFFERED_AFTER_CUTOVER = {
    "phase": "soft_token_only",
    "allowed_methods": ["soft_token"],
    "registered": None,
}


@pytest.mark.parametrize(
    ("moment", "expected"),
    [(IN_WINDOW, OFFERED_IN_WINDOW), (AFTER_CUTOVER, OFFERED_AFTER_CUTOVER)],
)
def test_methods_same_answer_for_every_user_id(
    api, registered: Officer, dave: Officer, alice: Officer, moment, expected
) -> None:
    """Registered, not registered, an administrator and a user id that does not exist: one
    answer, so /methods cannot be used to learn who exists or who has registered."""
    with time_machine.travel(moment, tick=False):
        answers = [
            api("/api/v1/auth/methods", {"username": username}, method="get").json()
            for username in ("charlie", "dave", "alice", "nobody", "CHARLIE ")
        ]
    assert answers == [expected] * 5


def test_password_first_the_check_says_which_factor_is_needed(
    api, registered: Officer, dave: Officer
) -> None:
    """With /methods saying the same to everyone, a correct password with the wrong method
    tells the front-end which factor to ask for — and a wrong one tells nothing."""
    with time_machine.travel(IN_WINDOW, tick=False):
        needs_code = api(
            "/api/v1/auth/check",
            {"username": "charlie", "password": PASSWORD, "method": "password"},
        ).json()
        legacy = api(
            "/api/v1/auth/check",
            {"username": "dave", "password": PASSWORD, "method": "soft_token", "otp": "123456"},
        ).json()
        wrong = api(
            "/api/v1/auth/check",
            {"username": "charlie", "password": "wrong password", "method": "password"},
        ).json()
    assert (needs_code["reason"], needs_code["allowed_methods"]) == (
        "method_not_allowed",
        ["soft_token"],
    )
    assert (legacy["reason"], legacy["allowed_methods"]) == (
        "not_registered",
        ["token_key", "password"],
    )
    assert (wrong["reason"], wrong["allowed_methods"]) == ("invalid_credentials", [])


def test_methods_needs_a_username_and_a_key(api, client: Client) -> None:
    assert api("/api/v1/auth/methods", {}, method="get").status_code == 400
    unknown = api("/api/v1/auth/methods", {"username": "dave", "user": "x"}, method="get")
    assert unknown.status_code == 400
    assert set(unknown.json()) == {"user"}
    assert client.get("/api/v1/auth/methods", {"username": "dave"}).status_code == 401


def test_api_health_reports_the_database_up(client: Client) -> None:
    assert client.get("/api/v1/health").json() == {"status": "ok", "database": "ok"}


def test_schema_and_docs_are_served_without_a_cdn(client: Client) -> None:
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json")
    assert schema.status_code == 200
    document = schema.json() if schema["Content-Type"].startswith("application/json") else None
    text = schema.content.decode()
    for path in (
        "/api/v1/auth/check",
        "/api/v1/auth/challenge",
        "/api/v1/auth/methods",
        "/api/v1/health",
    ):
        assert path in text
    if document:
        reasons = document["components"]["schemas"]["ReasonEnum"]["enum"]
        assert "otp_reused" in reasons
    docs = client.get("/api/docs/").content.decode()
    assert "redoc" in docs.lower()
    assert "cdn" not in docs.lower()
    assert "https://" not in docs.split("<body")[0]  # no external script or stylesheet


# --- quota ------------------------------------------------------------------------------------------


REDIS_CACHE = {
    "BACKEND": "django.core.cache.backends.redis.RedisCache",
    "LOCATION": "redis://127.0.0.1:6379/14",
    "KEY_PREFIX": "gfms-test-quota",
}


@pytest.fixture(params=["in-process", "redis"])
def quota_cache(request, settings) -> None:
    """The quota on the demo's in-process cache and on Redis (production), which counts in
    one pipelined round trip."""
    if request.param == "redis":
        settings.CACHES = {"default": REDIS_CACHE}


@time_machine.travel(IN_WINDOW, tick=False)
def test_client_over_quota_gets_429(api, dave: Officer, quota_cache) -> None:
    from django.core.cache import cache

    cache.clear()
    ServiceClient.objects.update(requests_per_minute=3)
    body = {"username": "dave", "password": PASSWORD, "method": "password"}
    codes = [api("/api/v1/auth/check", body).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    response = api("/api/v1/auth/check", body)
    assert int(response["Retry-After"]) <= 60
    cache.clear()


def test_the_redis_counter_expires_from_its_first_count(settings) -> None:
    from django.core.cache import caches

    from auth_gateway.quota import add_to_shared

    settings.CACHES = {"default": REDIS_CACHE}
    backend = caches["default"]
    backend.clear()
    assert [add_to_shared("k", 1) for _ in range(3)] == [1, 2, 3]
    assert add_to_shared("k", 20) == 23
    redis = backend._cache.get_client(write=False)  # type: ignore[attr-defined]
    full = backend.make_and_validate_key("k")
    assert 118 <= redis.ttl(full) <= 120
    redis.expire(full, 50)
    add_to_shared("k", 1)  # a later count keeps the first expiry
    assert redis.ttl(full) <= 50
    backend.clear()


def test_the_quota_settles_with_redis_in_batches_and_at_every_check_near_the_limit(
    settings,
) -> None:
    """Two processes (two counters) over one Redis: each settles every 20 checks, and at every
    check once within 20 of the limit, so the refusal comes at the same count."""
    from django.core.cache import caches

    from auth_gateway.quota import BatchedCounter

    settings.CACHES = {"default": REDIS_CACHE}
    backend = caches["default"]
    backend.clear()
    redis = backend._cache.get_client(write=False)  # type: ignore[attr-defined]
    shared = backend.make_and_validate_key("q")
    first, second = BatchedCounter(seconds=60), BatchedCounter(seconds=60)
    assert [first.add("q", limit=1000) for _ in range(19)] == list(range(1, 20))
    assert redis.get(shared) is None  # nothing settled yet
    assert first.add("q", limit=1000) == 20
    assert int(redis.get(shared)) == 20
    assert second.add("q", limit=1000) == 1  # it has not settled yet…
    assert [second.add("q", limit=1000) for _ in range(19)][-1] == 40  # …now it has: both
    # The first still believes 20 (it settled before the second counted): it settles again
    # once its own estimate comes within 20 of the limit — and learns the true total, so the
    # check that passes a limit of 45 is the one seen to be over it.
    assert [first.add("q", limit=45) for _ in range(6)] == [21, 22, 23, 24, 25, 46]
    assert second.add("q", limit=45) == 47  # near the limit every check settles
    backend.clear()


# --- commands --------------------------------------------------------------------------------------


def test_create_list_and_revoke_service_clients() -> None:
    out, err = StringIO(), StringIO()
    call_command("create_service_client", "gfms-prod", stdout=out, stderr=err)
    key = out.getvalue().strip()
    assert key.startswith("gfms_") and len(key) > 40
    client = ServiceClient.objects.get(name="gfms-prod")
    assert key not in (client.key_hash, client.key_prefix)
    with pytest.raises(CommandError, match="already exists"):
        call_command("create_service_client", "gfms-prod", stdout=StringIO(), stderr=StringIO())
    listing = StringIO()
    call_command("create_service_client", "--list", stdout=listing)
    assert "gfms-prod" in listing.getvalue() and "active" in listing.getvalue()
    call_command("create_service_client", "--revoke", "gfms-prod", stdout=StringIO())
    with pytest.raises(CommandError, match="already revoked"):
        call_command("create_service_client", "--revoke", "gfms-prod", stdout=StringIO())
    with pytest.raises(CommandError, match="no service client"):
        call_command("create_service_client", "--revoke", "nope", stdout=StringIO())


@time_machine.travel(IN_WINDOW, tick=False)
def test_sign_challenge_command_signs_with_the_demo_key(api, device: TokenKey) -> None:
    challenge = get_challenge(api)
    out = StringIO()
    call_command(
        "sign_challenge",
        "--serial",
        "DEMO-DAVE-1",
        "--challenge",
        challenge["challenge"],
        stdout=out,
    )
    body = {**token_key_login(challenge, b""), "signature": out.getvalue().strip()}
    assert api("/api/v1/auth/check", body).json()["reason"] == "ok"
    with pytest.raises(CommandError, match="not a demo device"):
        call_command(
            "sign_challenge",
            "--serial",
            "TK-1",
            "--challenge",
            challenge["challenge"],
            stdout=StringIO(),
        )
    with pytest.raises(CommandError, match="base64"):
        call_command(
            "sign_challenge", "--serial", "DEMO-1", "--challenge", "%%%", stdout=StringIO()
        )
