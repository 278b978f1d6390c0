"""What happens to soft tokens and hardware Token Keys: verification with one-time use of
each TOTP time step, seed import and key rotation, and the Token Key inventory."""

import datetime as dt
import re
from dataclasses import dataclass
from enum import StrEnum

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from django.db.models import Q

from agencies.models import Officer
from agencies.services import Outcome, RecordError
from gfms_portal import crypto
from tokens import totp
from tokens.models import SoftToken, SoftTokenStatus, TokenKey, TokenKeyState

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
    return Outcome.UPDATED


# --- soft tokens ---------------------------------------------------------------------------------


class TotpResult(StrEnum):
    OK = "ok"
    INVALID = "invalid"
    REUSED = "reused"


def active_soft_token(officer_id: int) -> SoftToken | None:
    return SoftToken.objects.filter(officer_id=officer_id, status=SoftTokenStatus.ACTIVE).first()


def verify_soft_token(token: SoftToken, code: str, *, at: dt.datetime) -> TotpResult:
    """Check `code` against the token and consume its time step.

    One conditional UPDATE decides: the step is recorded only if it is later than the last
    step accepted, so two requests racing with the same code can never both succeed, on
    PostgreSQL or SQLite. A code for a step already used (or older) is REUSED.
    """
    steps = totp.matching_steps(crypto.decrypt(token.secret_encrypted), code, at=at)
    if not steps:
        return TotpResult.INVALID
    step = max(steps)
    consumed = (
        SoftToken.objects.filter(pk=token.pk, status=SoftTokenStatus.ACTIVE)
        .filter(Q(last_used_step__isnull=True) | Q(last_used_step__lt=step))
        .update(last_used_step=step)
    )
    return TotpResult.OK if consumed else TotpResult.REUSED
