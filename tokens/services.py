"""What happens to soft tokens and hardware Token Keys: verification with one-time use of
each TOTP time step, seed import, and the Token Key inventory."""

import datetime as dt
import re
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, TypedDict
from urllib.parse import parse_qs, urlparse

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from django.db import connection
from django.db.models import F, FilteredRelation, Q, QuerySet

from agencies.models import Officer
from agencies.services import Outcome, RecordError
from audit.services import record_event
from tokens import totp
from tokens.models import SoftToken, SoftTokenStatus, TokenKey, TokenKeyState

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations

SERIAL_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{2,63}$")
MIN_RSA_BITS = 2048


@dataclass(frozen=True)
class TokenKeyRecord:
    serial: str
    username: str
    public_key_pem: str


def public_key_problem(pem: str) -> str | None:
    """None if `pem` is an ECDSA P-256 or RSA ≥ 2048-bit public key, else the reason."""
    try:
        key = serialization.load_pem_public_key(pem.encode())
    except (ValueError, TypeError):
        return "not a PEM public key (-----BEGIN PUBLIC KEY----- …)"
    if isinstance(key, ec.EllipticCurvePublicKey):
        if not isinstance(key.curve, ec.SECP256R1):
            return f"elliptic curve {key.curve.name} is not supported (P-256 only)"
        return None
    if isinstance(key, rsa.RSAPublicKey):
        if key.key_size < MIN_RSA_BITS:
            return f"RSA key of {key.key_size} bits is too short (at least {MIN_RSA_BITS})"
        return None
    return "only ECDSA P-256 and RSA public keys are supported"


def upsert_token_key(
    record: TokenKeyRecord, *, officers: dict[str, Officer], at: dt.datetime
) -> Outcome:
    """Create or update the inventory row of one Token Key, assigned to an officer."""
    problems: dict[str, str] = {}
    if not SERIAL_PATTERN.match(record.serial):
        problems["serial"] = f"'{record.serial}' is not a serial (3–64 letters, digits or dashes)"
    officer = officers.get(record.username.lower())
    if officer is None:
        problems["username"] = f"officer '{record.username}' does not exist"
    elif officer.unit_id is None:
        problems["username"] = f"officer '{record.username}' has no disbursement unit"
    if problem := public_key_problem(record.public_key_pem):
        problems["public_key_pem"] = problem
    if problems:
        raise RecordError(problems)
    assert officer is not None  # noqa: S101  (checked above)
    pem = record.public_key_pem.strip() + "\n"
    values = {"officer": officer, "unit_id": officer.unit_id, "public_key_pem": pem}
    device = TokenKey.objects.filter(serial=record.serial).first()
    if device is None:
        TokenKey.objects.create(serial=record.serial, updated_at=at, **values)
        return Outcome.CREATED
    changed = [name for name, value in values.items() if getattr(device, name) != value]
    if not changed:
        return Outcome.UNCHANGED
    if device.state != TokenKeyState.IN_USE:
        raise RecordError(
            {
                "serial": f"Token Key '{record.serial}' is {device.get_state_display()}; "
                "it cannot be reassigned"
            }
        )
    for name in changed:
        setattr(device, name, values[name])
    device.updated_at = at
    device.save(update_fields=[*changed, "updated_at"])
    # A new key or holder decides who can sign logins with this device: audited one by one.
    record_event(
        "token_key.updated",
        at=at,
        actor_label="import_token_keys",
        officer=officer,
        data={"serial": device.serial, "fields": sorted(changed)},
    )
    return Outcome.UPDATED


# --- soft tokens ---------------------------------------------------------------------------------


class TotpResult(StrEnum):
    OK = "ok"
    INVALID = "invalid"
    REUSED = "reused"


def active_soft_token(officer_id: int) -> SoftToken | None:
    return SoftToken.objects.filter(officer_id=officer_id, status=SoftTokenStatus.ACTIVE).first()


class ActiveToken(TypedDict):
    """What `with_active_token` adds: the active token's id (None: no active token) and, with
    an id, its encrypted secret."""

    active_token_pk: int | None
    active_token_secret: str


def with_active_token(
    officers: QuerySet[Officer],
) -> "QuerySet[WithAnnotations[Officer, ActiveToken]]":
    """Officers with their active soft token in the same query (a LEFT JOIN; at most one
    active token per officer, by constraint). Read it with `active_token_of`."""
    return officers.annotate(
        active_token=FilteredRelation(
            "soft_tokens", condition=Q(soft_tokens__status=SoftTokenStatus.ACTIVE)
        ),
        active_token_pk=F("active_token__pk"),
        active_token_secret=F("active_token__secret_encrypted"),
    )


def active_token_of(officer: "WithAnnotations[Officer, ActiveToken]") -> SoftToken | None:
    """The active token loaded by `with_active_token` (no query)."""
    pk = getattr(officer, "active_token_pk", None)
    if pk is None:
        return None
    return SoftToken(
        pk=pk,
        officer_id=officer.pk,
        secret_encrypted=officer.active_token_secret,
        status=SoftTokenStatus.ACTIVE,
    )


def verify_soft_token(token: SoftToken, code: str, *, at: dt.datetime) -> TotpResult:
    """Check `code` against the token and consume its time step.

    One conditional UPDATE decides: the step is recorded only if it is later than the last
    step accepted, so two requests racing with the same code can never both succeed, on
    PostgreSQL or SQLite. A code for a step already used (or older) is REUSED.
    """
    steps = totp.matching_steps(token.secret, code, at=at)
    if not steps:
        return TotpResult.INVALID
    step = max(steps)
    # The same statement on every check: written once, not built through the ORM each time.
    with connection.cursor() as cursor:
        cursor.execute(
            _CONSUME_STEP_SQL,
            [step, token.pk, SoftTokenStatus.ACTIVE.value, step],
        )
        consumed = cursor.rowcount
    return TotpResult.OK if consumed else TotpResult.REUSED


_CONSUME_STEP_SQL = (
    f"UPDATE {SoftToken._meta.db_table} SET last_used_step = %s WHERE id = %s AND status = %s"  # noqa: S608  (the model's table)
    " AND (last_used_step IS NULL OR last_used_step < %s)"
)


# --- seeds registered elsewhere ---------------------------------------------------------------------


@dataclass(frozen=True)
class SoftTokenRecord:
    username: str
    secret: str  # base32, or an otpauth:// URI


def seed_from(value: str) -> str:
    """The base32 seed in `value` (a seed or an otpauth URI), checked against what the gateway
    verifies: SHA-1, 6 digits, 30 s, at least 128 bits. Raises ValueError with the reason."""
    value = value.strip()
    if value.lower().startswith("otpauth://"):
        parsed = urlparse(value)
        if parsed.netloc.lower() != "totp":
            raise ValueError("only otpauth://totp/ URIs are supported (not HOTP)")
        params = {key.lower(): values[-1] for key, values in parse_qs(parsed.query).items()}
        expected = {"algorithm": "SHA1", "digits": str(totp.DIGITS), "period": str(totp.PERIOD)}
        for name, wanted in expected.items():
            if params.get(name, wanted).upper() != wanted:
                raise ValueError(f"{name}={params[name]} is not supported (only {wanted})")
        value = params.get("secret", "")
        if not value:
            raise ValueError("the URI has no secret")
    seed = totp.normalise_secret(value)
    bits = totp.secret_bits(seed)
    if bits < totp.MIN_SECRET_BITS:
        raise ValueError(
            f"the seed has only {bits} bits; at least {totp.MIN_SECRET_BITS} are required"
        )
    return seed


def import_soft_token(
    record: SoftTokenRecord, *, officers: dict[str, Officer], at: dt.datetime, actor_label: str
) -> Outcome:
    """Bind an already-registered seed as the officer's active soft token, replacing (revoking)
    any other active one, with an audit row. The seed itself is never stored unencrypted,
    printed or audited."""
    problems: dict[str, str] = {}
    officer = officers.get(record.username.lower())
    if officer is None:
        problems["username"] = f"officer '{record.username}' does not exist"
    try:
        seed = seed_from(record.secret)
    except ValueError as error:
        problems["secret"] = str(error)
    if problems:
        raise RecordError(problems)
    assert officer is not None  # noqa: S101
    current = active_soft_token(officer.pk)
    if current is not None and current.secret == seed:
        return Outcome.UNCHANGED
    if current is not None:
        SoftToken.objects.filter(pk=current.pk).update(
            status=SoftTokenStatus.REVOKED, revoked_at=at
        )
    SoftToken.objects.create(
        officer=officer,
        secret_encrypted=SoftToken.secret.encrypt(seed),
        status=SoftTokenStatus.ACTIVE,
        created_at=at,
        confirmed_at=at,
    )
    record_event(
        "soft_token.imported",
        at=at,
        actor_label=actor_label,
        officer=officer,
        data={"replaced": current is not None},
    )
    return Outcome.UPDATED if current is not None else Outcome.CREATED
