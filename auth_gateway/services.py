"""The login check: load, ask the policy, verify, write the counters and the decision record
in one transaction.

Order matters for user enumeration: nothing about the account is revealed before its password
has been verified. Unknown user ids, inactive accounts and wrong passwords (locked or not) all
get `invalid_credentials`, and an unknown user id still pays for one password hash so that
the time taken does not tell them apart either.
"""

import base64
import datetime as dt
import secrets
import time
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa, utils
from django.db import connection, transaction

from agencies.lockout import AccountBusy, lock_officer_row, record_failed_attempt
from agencies.models import Agency, Officer
from agencies.policy import Role, is_locked, is_privileged
from audit.services import record_event
from auth_gateway import hot_path
from auth_gateway.clients import forget_cached_clients
from auth_gateway.models import LoginDecision, ServiceClient, TokenKeyChallenge, hash_key
from auth_gateway.passwords import verify_password, wait_out_password_floor
from auth_gateway.policy import (
    Decision,
    Method,
    Reason,
    allowed_methods,
    method_refusal,
    methods_offered,
    verdict,
)
from gfms_portal.prepared import Prepared
from schedule.policy import MigrationSchedule, Phase, phase_at
from schedule.services import current_schedule
from tokens.models import SoftToken, SoftTokenStatus, TokenKey
from tokens.policy import USABLE_FOR_LOGIN
from tokens.services import (
    ActiveToken,
    TotpResult,
    active_token_of,
    verify_soft_token,
)
from tokens.totp import clock_offset, matching_steps, time_step

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations

CHALLENGE_BYTES = 32  # 256 random bits
# PostgreSQL gave up waiting for the row: lock_timeout (55P03) applies to each lock of the
# queue in turn (the tuple lock, then the holder's transaction), so a long queue can meet the
# statement timeout (57014) first. For this one statement either means "busy".
CHALLENGE_LIFETIME = dt.timedelta(seconds=120)


@dataclass(frozen=True)
class LoginAttempt:
    username: str
    password: str
    method: Method
    otp: str = ""
    challenge_id: uuid.UUID | None = None
    signature: bytes = b""
    client_ip: str | None = None
    request_id: str = ""


@dataclass(frozen=True)
class LoginAnswer:
    decision: Decision
    reason: Reason
    phase: Phase
    allowed_methods: tuple[Method, ...]
    schedule: MigrationSchedule
    request_id: str
    officer: Officer | None = None  # only on allow
    method: Method | None = None
    # The reason kept in the decision record (and counted in the metrics): `locked` and
    # `account_busy` are answered as `invalid_credentials`, never told to the caller.
    recorded_reason: Reason | None = None


@dataclass
class _Check:
    """What one check has learnt so far."""

    attempt: LoginAttempt
    at: dt.datetime
    client: ServiceClient | None
    schedule: MigrationSchedule
    phase: Phase
    officer: "WithAnnotations[Officer, ActiveToken] | None" = None
    token: SoftToken | None = None
    allowed: tuple[Method, ...] = field(default_factory=tuple)
    # A refused soft-token code that would be right this many steps away: the phone's clock
    # is off. Kept in the decision record for the desk and the officer, never answered.
    clock_offset: int | None = None


def check_login(
    attempt: LoginAttempt, *, client: ServiceClient | None, at: dt.datetime
) -> LoginAnswer:
    started = time.perf_counter()
    schedule = current_schedule(at=at)
    check = _Check(attempt, at, client, schedule, phase_at(at, schedule))
    officer = load_officer(attempt.username)
    # The hash before any lock: racing requests for one account must not queue behind each
    # other's hashes (they would hit the statement timeout, and only real accounts would).
    password = verify_password(officer.password if officer else None, attempt.password)
    try:
        # The common allow in one statement; anything else is decided by the transaction.
        if (
            officer is not None
            and hot_path.available()
            and (fast := _allow_at_once(check, officer, password)) is not None
        ):
            return fast
        with transaction.atomic():
            if officer is None:
                reason: Reason = Reason.INVALID_CREDENTIALS
            else:
                check.officer = officer
                reason = _decide(check, password)
            answer = _record(check, reason)
    except AccountBusy:  # only an existing officer's row is waited for
        check.officer = officer
        with transaction.atomic():
            answer = _record(check, Reason.ACCOUNT_BUSY)
    # Refusals that read as a wrong password take a wrong password's time — a busy account's
    # too, although only right passwords reach the one statement's wait.
    if answer.reason == Reason.INVALID_CREDENTIALS:
        wait_out_password_floor(started)
    return answer


# One read on the unique LOWER(username) index, exactly the columns the check needs: the
# officer, its unit's code and its active soft token (at most one, by constraint). Built once:
# building this query through the ORM on every check cost more than running it. The officer's
# columns come in the model's field order, as Model.from_db takes them.
_OFFICER_FIELDS = tuple(
    field.attname
    for field in Officer._meta.concrete_fields
    if field.attname
    in {
        "id",
        "password",
        "username",
        "name_th",
        "name_en",
        "role",
        "unit_id",
        "admin_scope_id",
        "is_active",
        "failed_logins",
        "locked_until",
    }
)
_OFFICER_SQL = (
    f"SELECT {', '.join(f'o.{name}' for name in _OFFICER_FIELDS)},"  # noqa: S608  (the models' tables and columns)
    " u.code AS unit_code, t.id AS active_token_pk, t.secret_encrypted AS active_token_secret"
    f" FROM {Officer._meta.db_table} o"
    f" LEFT JOIN {Agency._meta.db_table} u ON u.id = o.unit_id"
    f" LEFT JOIN {SoftToken._meta.db_table} t ON t.officer_id = o.id AND t.status = %s"
    " WHERE LOWER(o.username) = %s AND o.is_active"
)

# The same read, parsed and planned once per connection on PostgreSQL (gfms_portal.prepared).
_OFFICER = Prepared(_OFFICER_SQL.replace("%s", "$1", 1).replace("%s", "$2", 1), ["text", "text"])


def load_officer(username: str) -> "WithAnnotations[Officer, ActiveToken] | None":
    """The active officer with this GFMS user id (case-insensitive, spaces ignored), with
    `unit_code` and its active token for `active_token_of` — or None. Other fields load on
    first use (rare: the e-mail when a lock starts)."""
    params = [SoftTokenStatus.ACTIVE.value, username.strip().lower()]
    if connection.vendor != "postgresql":
        # SQLite (the demo) returns datetimes as text: raw() applies the converters.
        rows = Officer.objects.raw(_OFFICER_SQL, params)
        return next(iter(rows), None)  # type: ignore[return-value]  # raw() adds the selected columns as attributes
    with connection.cursor() as cursor:
        _OFFICER.execute(cursor, params)
        row = cursor.fetchone()
    if row is None:
        return None
    fields = len(_OFFICER_FIELDS)
    officer = Officer.from_db(connection.alias, _OFFICER_FIELDS, row[:fields])
    officer.unit_code, officer.active_token_pk, officer.active_token_secret = row[fields:]  # type: ignore[attr-defined]  # the columns raw() would add
    return officer  # type: ignore[return-value]


def _allow_at_once(
    check: _Check, officer: "WithAnnotations[Officer, ActiveToken]", password: tuple[bool, bool]
) -> LoginAnswer | None:
    """The answer `allow` in one statement (auth_gateway.hot_path), when the password is right
    and needs no new hash, the method is soft_token and allowed, and the code matches a step
    — or None, and the caller decides through the transaction path (`_decide`), which is the
    rule: this is only its fast case, and it never decides a refusal."""
    right, needs_upgrade = password
    attempt = check.attempt
    if not right or needs_upgrade or attempt.method != Method.SOFT_TOKEN:
        return None
    # The active token as load_officer read it (no model built: only its seed is needed).
    token_id = getattr(officer, "active_token_pk", None)
    privileged = is_privileged(Role(officer.role))
    if token_id is None or method_refusal(check.phase, True, attempt.method, privileged=privileged):
        return None
    seed = SoftToken.secret.decrypt(officer.active_token_secret)
    steps = matching_steps(seed, attempt.otp, at=check.at)
    if not steps or not hot_path.allow_in_one_statement(
        officer_id=officer.pk,
        unit_id=officer.unit_id,
        token_id=token_id,
        step=max(steps),
        at=check.at,
        username=attempt.username,
        phase=check.phase,
        client_id=check.client.pk if check.client else None,
        client_ip=attempt.client_ip,
        request_id=attempt.request_id,
        password_hash=officer.password,
    ):
        return None
    check.officer = officer
    check.allowed = allowed_methods(check.phase, True, privileged=privileged)
    return _answer(check, Reason.OK)


def _decide(check: _Check, password: tuple[bool, bool]) -> Reason:
    """Everything about one known officer, under a lock on its row (held to the commit): the
    lock, the password's verdict, the second factor and the failure count are one decision,
    so N racing wrong passwords are decided at most until the lock — whatever the number of
    workers — and requests in flight when the 10th failure commits see the lock.
    `password` is (right, needs upgrade), computed before the lock."""
    officer, attempt = check.officer, check.attempt
    assert officer is not None  # noqa: S101  (check_login only calls with an officer)
    right, needs_upgrade = password
    verified = officer.password  # read before the lock; lock_officer_row reads it again
    if is_locked(lock_officer_row(officer), at=check.at):
        # No password oracle while locked: whatever was typed, the answer is
        # `invalid_credentials` and nothing is counted, so nobody can push someone else's
        # lock toward the permanent one. The officer learns of the lock by e-mail; the
        # decision record keeps `locked`.
        return Reason.LOCKED
    if not right or officer.password != verified:  # changed while it was hashed
        return Reason.INVALID_CREDENTIALS
    if needs_upgrade:
        upgrade_password_hash(officer, attempt.password)
    # From here on the password is right: the answer may say what is wrong.
    check.token = active_token_of(officer)
    registered = check.token is not None
    privileged = is_privileged(Role(officer.role))
    check.allowed = allowed_methods(check.phase, registered, privileged=privileged)
    if refusal := method_refusal(check.phase, registered, attempt.method, privileged=privileged):
        return refusal
    return _second_factor(check)


def _second_factor(check: _Check) -> Reason:
    """Runs inside the decision's transaction: consuming a code or a challenge commits
    together with the decision record, or not at all."""
    attempt = check.attempt
    if attempt.method == Method.PASSWORD:
        return Reason.OK
    if attempt.method == Method.SOFT_TOKEN:
        assert check.token is not None  # noqa: S101  (method_refusal guarantees it)
        result = verify_soft_token(check.token, attempt.otp, at=check.at)
        if result == TotpResult.INVALID:
            check.clock_offset = _clock_offset(check.token, attempt.otp, at=check.at)
        return {
            TotpResult.OK: Reason.OK,
            TotpResult.INVALID: Reason.INVALID_OTP,
            TotpResult.REUSED: Reason.OTP_REUSED,
        }[result]
    assert check.officer is not None  # noqa: S101
    return _verify_token_key(check.officer, attempt, at=check.at)


def _clock_offset(token: SoftToken, code: str, *, at: dt.datetime) -> int | None:
    """How far off the phone's clock is, if the refused `code` is right a few minutes away —
    but a code of a step at or before the last one accepted is an old code typed again (or
    replayed), not a slow phone: not counted as a clock."""
    offset = clock_offset(token.secret, code, at=at)
    if offset is None or offset > 0:
        return offset
    # Read only for a slow match (rare): the check's token row carries no last step.
    last = SoftToken.objects.filter(pk=token.pk).values_list("last_used_step", flat=True).first()
    return None if last is not None and time_step(at) + offset <= last else offset


def upgrade_password_hash(officer: Officer, raw: str) -> None:
    """Re-hash a right password with the preferred hasher (Argon2id): imported legacy hashes
    and older parameters go away at the officer's first successful login. Under the row lock,
    after checking that the stored hash is the one verified (a change committed while the
    password was hashed is never overwritten), and only over that hash."""
    verified = officer.password
    officer.set_password(raw)
    Officer.objects.filter(pk=officer.pk, password=verified).update(password=officer.password)


def _record(check: _Check, reason: Reason) -> LoginAnswer:
    """Update the lockout counters and write the decision record, inside the decision's
    transaction. Any database error propagates (the API answers 503): an answer that could
    not be recorded is never given."""
    officer = check.officer
    outcome = verdict(reason)
    if officer is not None and outcome.counts_as_failure:
        record_failed_attempt(officer, at=check.at)
    elif (
        officer is not None
        and outcome.decision == Decision.ALLOW
        and (officer.failed_logins or officer.locked_until)
    ):
        Officer.objects.filter(pk=officer.pk).update(failed_logins=0, locked_until=None)
    LoginDecision.objects.create(
        at=check.at,
        username=check.attempt.username[:150],
        officer=officer,
        unit_id=officer.unit_id if officer else None,
        method=check.attempt.method,
        phase=check.phase,
        decision=outcome.decision,
        reason=reason,
        client=check.client,
        client_ip=check.attempt.client_ip or None,
        request_id=check.attempt.request_id,
        clock_offset_steps=check.clock_offset,
    )
    return _answer(check, reason)


def _answer(check: _Check, reason: Reason) -> LoginAnswer:
    """What the caller is told of a decision already recorded."""
    officer = check.officer
    outcome = verdict(reason)
    allowed = outcome.decision == Decision.ALLOW
    # A locked (or busy) account answers exactly like a wrong password (see _decide).
    answered = (
        Reason.INVALID_CREDENTIALS if reason in (Reason.LOCKED, Reason.ACCOUNT_BUSY) else reason
    )
    return LoginAnswer(
        decision=outcome.decision,
        reason=answered,
        phase=check.phase,
        # Nothing about the account before the password is verified.
        allowed_methods=() if answered == Reason.INVALID_CREDENTIALS else check.allowed,
        schedule=check.schedule,
        request_id=check.attempt.request_id,
        officer=officer if allowed else None,
        method=check.attempt.method,
        recorded_reason=reason,
    )


# --- Token Keys ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class IssuedChallenge:
    id: uuid.UUID
    challenge: bytes
    expires_at: dt.datetime


def issue_challenge(username: str, serial: str, *, at: dt.datetime) -> IssuedChallenge:
    """A fresh challenge bound to (user id, serial). Issued whether or not they exist."""
    challenge = TokenKeyChallenge.objects.create(
        username=username.strip().lower(),
        serial=serial,
        challenge=secrets.token_bytes(CHALLENGE_BYTES),
        created_at=at,
        expires_at=at + CHALLENGE_LIFETIME,
    )
    return IssuedChallenge(challenge.id, bytes(challenge.challenge), challenge.expires_at)


def _verify_token_key(officer: Officer, attempt: LoginAttempt, *, at: dt.datetime) -> Reason:
    if attempt.challenge_id is None:  # the API requires one with token_key: nothing to consume
        return Reason.CHALLENGE_EXPIRED
    # Consume the challenge first (one conditional UPDATE): used once, even by racing requests.
    consumed = TokenKeyChallenge.objects.filter(
        pk=attempt.challenge_id,
        username=attempt.username.strip().lower(),
        used_at__isnull=True,
        expires_at__gt=at,
    ).update(used_at=at)
    if not consumed:
        return Reason.CHALLENGE_EXPIRED
    challenge = TokenKeyChallenge.objects.get(pk=attempt.challenge_id)
    device = TokenKey.objects.filter(serial=challenge.serial, officer=officer).first()
    if device is None or device.state not in USABLE_FOR_LOGIN:
        return Reason.TOKEN_KEY_NOT_USABLE
    if not signature_is_valid(device.public_key_pem, bytes(challenge.challenge), attempt.signature):
        return Reason.INVALID_SIGNATURE
    return Reason.OK


def signature_is_valid(public_key_pem: str, message: bytes, signature: bytes) -> bool:
    """ECDSA P-256 with SHA-256 (DER, or the raw 64-byte r‖s that PKCS#11 tokens produce) or
    RSA PKCS#1 v1.5 with SHA-256."""
    key = serialization.load_pem_public_key(public_key_pem.encode())
    try:
        if isinstance(key, ec.EllipticCurvePublicKey):
            if len(signature) == 64:
                signature = utils.encode_dss_signature(
                    int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
                )
            key.verify(signature, message, ec.ECDSA(hashes.SHA256()))
        elif isinstance(key, rsa.RSAPublicKey):
            key.verify(signature, message, padding.PKCS1v15(), hashes.SHA256())
        else:
            return False
    except (InvalidSignature, ValueError):
        return False
    return True


def encode_challenge(challenge: bytes) -> str:
    return base64.b64encode(challenge).decode()


# --- methods --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MethodsAnswer:
    phase: Phase
    allowed_methods: tuple[Method, ...]


def methods_for(*, at: dt.datetime) -> MethodsAnswer:
    """What the login form should offer now. The same answer for every user id (v1 still
    takes one, and ignores it): which user ids exist, or have registered, is nobody's
    business before their password is right. The check's answer then says which method
    this account needs (`method_not_allowed` / `not_registered` with `allowed_methods`)."""
    phase = phase_at(at, current_schedule(at=at))
    return MethodsAnswer(phase, methods_offered(phase))


# --- service clients ------------------------------------------------------------------------------

KEY_PREFIX = "gfms_"


class ServiceClientError(Exception):
    pass


def create_service_client(
    name: str, *, at: dt.datetime, actor_label: str
) -> tuple[ServiceClient, str]:
    """A new client and its key. The key is returned once and stored only as a hash."""
    name = name.strip()
    if not name or len(name) > 100:
        raise ServiceClientError("a client name is 1–100 characters")
    if ServiceClient.objects.filter(name=name).exists():
        raise ServiceClientError(f"a service client named '{name}' already exists")
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    with transaction.atomic():
        client = ServiceClient.objects.create(
            name=name, key_prefix=key[:12], key_hash=hash_key(key), created_at=at
        )
        record_event(
            "service_client.created", at=at, actor_label=actor_label, data={"client": name}
        )
    return client, key


def revoke_service_client(name: str, *, at: dt.datetime, actor_label: str) -> ServiceClient:
    with transaction.atomic():
        client = ServiceClient.objects.select_for_update().filter(name=name).first()
        if client is None:
            raise ServiceClientError(f"no service client named '{name}'")
        if client.revoked_at is not None:
            raise ServiceClientError(f"service client '{name}' is already revoked")
        client.revoked_at = at
        client.save(update_fields=["revoked_at"])
        transaction.on_commit(forget_cached_clients)
        record_event(
            "service_client.revoked", at=at, actor_label=actor_label, data={"client": name}
        )
    return client


# --- the portal's own login ------------------------------------------------------------------------


def portal_login(username: str, password: str, *, at: dt.datetime) -> tuple[Officer | None, Reason]:
    """Sign in to the portal (registration, status, administration, the Django admin) with
    the gateway's lockout rules — decided under the same row lock — and the same answers, in
    the same time, for unknown user ids, locked accounts and wrong passwords. Every outcome
    is audited: `portal.signed_in` or `portal.sign_in_refused` (with the reason kept)."""
    started = time.perf_counter()
    officer = Officer.objects.by_username(username).filter(is_active=True).first()
    right, needs_upgrade = verify_password(officer.password if officer else None, password)
    try:
        reason = _portal_decision(officer, password, (right, needs_upgrade), at=at)
    except AccountBusy:
        reason = Reason.ACCOUNT_BUSY
        with transaction.atomic():
            _audit_sign_in(officer, reason, at=at)
    if reason != Reason.OK:
        wait_out_password_floor(started)
        return None, Reason.INVALID_CREDENTIALS
    return officer, Reason.OK


def _portal_decision(
    officer: Officer | None, password: str, verdict_: tuple[bool, bool], *, at: dt.datetime
) -> Reason:
    right, needs_upgrade = verdict_
    verified = officer.password if officer else None  # lock_officer_row reads it again
    with transaction.atomic():
        if officer is None:
            reason = Reason.INVALID_CREDENTIALS
        elif is_locked(lock_officer_row(officer), at=at):
            reason = Reason.LOCKED
        elif not right or officer.password != verified:  # changed while it was hashed
            record_failed_attempt(officer, at=at)
            reason = Reason.INVALID_CREDENTIALS
        else:
            reason = Reason.OK
            if needs_upgrade:
                upgrade_password_hash(officer, password)
            if officer.failed_logins or officer.locked_until:
                Officer.objects.filter(pk=officer.pk).update(failed_logins=0, locked_until=None)
        _audit_sign_in(officer, reason, at=at)
    return reason


def _audit_sign_in(officer: Officer | None, reason: Reason, *, at: dt.datetime) -> None:
    record_event(
        "portal.signed_in" if reason == Reason.OK else "portal.sign_in_refused",
        at=at,
        actor_label="portal",
        officer=officer,
        data={} if reason == Reason.OK else {"reason": reason.value},
    )
