"""Encrypted columns (gfms_portal.encryption): every one is owned by its model, every one is
re-encrypted by rotate_encryption_key, and no ciphertext lives anywhere else."""

import re
from io import StringIO
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.apps import apps
from django.conf import settings as django_settings
from django.core.management import CommandError, call_command
from django.db import models, transaction

from agencies.models import Officer
from audit.models import AuditEvent
from gfms_portal import crypto
from gfms_portal.clock import now
from gfms_portal.encryption import (
    Decrypted,
    EncryptedTextField,
    encrypted_fields,
    rotate_encryption_key,
)
from outbox.models import OutboxMessage
from outbox.services import email_officer
from registration.models import Reveal
from registration.services import open_once, seal_once
from tests.factories import DEMO_SECRET, OfficerFactory, OutboxMessageFactory, SoftTokenFactory
from tokens.models import SoftToken, SoftTokenStatus

pytestmark = pytest.mark.django_db

OLD_KEY = Fernet.generate_key().decode()
NEW_KEY = Fernet.generate_key().decode()
CITIZEN_ID = "1101700207030"
RECOVERY_TEXT = "1234-5678-9012-3456-7890\n2345-6789-0123-4567-8901"

# Every column that holds ciphertext. A new one must be added here on purpose — and be an
# EncryptedTextField, or rotation would skip it and removing an old key would lose it.
EXPECTED_ENCRYPTED_COLUMNS = {
    "agencies.Officer.citizen_id_encrypted",
    "outbox.OutboxMessage.body",
    "registration.Reveal.sealed",
    "tokens.SoftToken.secret_encrypted",
}


@pytest.fixture
def rows(settings, cgd_tree) -> dict[str, object]:
    """One live row in every encrypted column (made under OLD_KEY through the usual code),
    and the emptied values rotation has nothing to do with."""
    settings.GFMS_ENCRYPTION_KEYS = [OLD_KEY]
    at = now()
    officer = OfficerFactory.create(unit=cgd_tree["cgd_unit"], citizen_id=CITIZEN_ID)
    token = SoftTokenFactory.create(officer=officer)
    SoftTokenFactory.create(officer=officer, status=SoftTokenStatus.REVOKED, secret="")  # discarded
    with transaction.atomic():
        message = email_officer(officer, "identity_code", at=at, code="482915", minutes=10)
    OutboxMessageFactory.create(
        officer=None, body_text="", created_at=at, sent_at=at
    )  # sent, emptied
    reveal_id = seal_once(officer, "recovery_codes", RECOVERY_TEXT, at=at)
    return {"officer": officer, "token": token, "message": message, "reveal_id": reveal_id}


def stored_ciphertexts() -> dict[str, set[str]]:
    return {
        f.label: set(
            f.model._base_manager.exclude(**{f.attname: ""}).values_list(f.attname, flat=True)
        )
        for f in encrypted_fields()
    }


def test_rotation_re_encrypts_every_column_and_the_old_key_can_then_go(settings, rows) -> None:
    before = stored_ciphertexts()
    assert all(before.values())  # something to rotate in every column

    settings.GFMS_ENCRYPTION_KEYS = [NEW_KEY, OLD_KEY]
    out = StringIO()
    call_command("rotate_encryption_key", "--batch-size", "1", stdout=out)

    counts = {label: 1 for label in EXPECTED_ENCRYPTED_COLUMNS}
    lines = out.getvalue().splitlines()
    assert lines[0] == f"re-encrypted with key {crypto.newest_key_id()}:"
    assert lines[1:] == [f"  {label}: 1 rows" for label in sorted(EXPECTED_ENCRYPTED_COLUMNS)]
    event = AuditEvent.objects.get(action="encryption_key.rotated")
    assert event.data == {"key_id": crypto.newest_key_id(), "rows": counts}
    after = stored_ciphertexts()
    assert all(not (after[label] & before[label]) for label in before)  # every value rewritten

    # Only the new key from now on: everything still reads, and the citizen ID still matches.
    settings.GFMS_ENCRYPTION_KEYS = [NEW_KEY]
    officer = Officer.objects.get(pk=rows["officer"].pk)
    assert officer.citizen_id == CITIZEN_ID
    assert officer.citizen_id_hash.startswith(crypto.newest_key_id() + ":")
    assert officer.has_citizen_id(CITIZEN_ID)
    assert list(
        Officer.objects.filter(
            citizen_id_hash__in=Officer.citizen_id.lookup_hash_candidates(CITIZEN_ID)
        )
    ) == [officer]
    assert SoftToken.objects.get(pk=rows["token"].pk).secret == DEMO_SECRET
    assert "482915" in OutboxMessage.objects.get(pk=rows["message"].pk).body_text
    assert open_once(officer, rows["reveal_id"], "recovery_codes", at=now()) == RECOVERY_TEXT


def test_without_rotation_the_removed_key_loses_the_rows(settings, rows) -> None:
    # The failure the rotation prevents (and proof that the test above tests something).
    settings.GFMS_ENCRYPTION_KEYS = [NEW_KEY]
    for label, values in stored_ciphertexts().items():
        for value in values:
            with pytest.raises(crypto.DecryptionError):
                crypto.decrypt(value)
        assert values, label
    assert not Officer.objects.get(pk=rows["officer"].pk).has_citizen_id(CITIZEN_ID)


def test_a_row_no_key_decrypts_is_named_and_does_not_stop_the_others(settings, rows) -> None:
    """An e-mail body left under a key removed too early (before rotation covered the outbox):
    the seeds and citizen IDs are still rotated, the row is named, and the command fails."""
    lost_key = Fernet.generate_key().decode()
    settings.GFMS_ENCRYPTION_KEYS = [lost_key]
    orphan = OutboxMessageFactory.create(officer=None, body_text="under a lost key")
    settings.GFMS_ENCRYPTION_KEYS = [NEW_KEY, OLD_KEY]
    report = rotate_encryption_key()
    assert not report.complete
    assert report.unreadable == {"outbox.OutboxMessage.body": [orphan.pk]}
    assert report.rows["tokens.SoftToken.secret_encrypted"] == 1
    assert report.rows["agencies.Officer.citizen_id_encrypted"] == 1
    with pytest.raises(CommandError, match=rf"outbox\.OutboxMessage\.body: rows {orphan.pk}\b"):
        call_command("rotate_encryption_key", stdout=StringIO())
    event = AuditEvent.objects.filter(action="encryption_key.rotated").latest("pk")
    assert event.data["unreadable"] == {"outbox.OutboxMessage.body": [orphan.pk]}
    settings.GFMS_ENCRYPTION_KEYS = [NEW_KEY]
    assert SoftToken.objects.get(pk=rows["token"].pk).secret == DEMO_SECRET


def test_rotation_counts_nothing_for_emptied_values(cgd_tree) -> None:
    officer = OfficerFactory.create(unit=cgd_tree["cgd_unit"])
    SoftTokenFactory.create(officer=officer, status=SoftTokenStatus.REVOKED, secret="")
    Officer.objects.update(citizen_id_encrypted="", citizen_id_hash="")
    report = rotate_encryption_key(batch_size=2)
    assert report.rows == dict.fromkeys(sorted(EXPECTED_ENCRYPTED_COLUMNS), 0)


# --- coverage: no encrypted column escapes the rotation ----------------------------------------


def test_rotation_covers_exactly_the_known_encrypted_columns() -> None:
    discovered = {f.label for f in encrypted_fields()}
    every_field_of_the_type = {
        f"{model._meta.label}.{f.name}"
        for model in apps.get_models(include_auto_created=True, include_swapped=True)
        for f in model._meta.get_fields(include_parents=True, include_hidden=True)
        if isinstance(f, EncryptedTextField)
    }
    assert discovered == every_field_of_the_type == EXPECTED_ENCRYPTED_COLUMNS
    officer_field = Officer._meta.get_field("citizen_id_encrypted")
    assert isinstance(officer_field, EncryptedTextField)
    assert officer_field.lookup_hash_field == "citizen_id_hash"


def test_every_encrypted_column_has_its_accessor_on_its_model() -> None:
    accessors = {
        f"{model._meta.label}.{value.field.name}": name
        for model in apps.get_models()
        for klass in model.__mro__
        for name, value in vars(klass).items()
        if isinstance(value, Decrypted)
    }
    assert set(accessors) == EXPECTED_ENCRYPTED_COLUMNS
    assert accessors == {
        "agencies.Officer.citizen_id_encrypted": "citizen_id",
        "outbox.OutboxMessage.body": "body_text",
        "registration.Reveal.sealed": "text",
        "tokens.SoftToken.secret_encrypted": "secret",
    }


FERNET_TOKEN = re.compile(r"gAAAAA[A-Za-z0-9_-]{60,}={0,2}")


def test_no_ciphertext_is_stored_outside_the_encrypted_columns(rows) -> None:
    # Real rows in many tables (the demo data and the fixture's), then every stored value of
    # every column that is not an EncryptedTextField: none may be something our keys decrypt.
    call_command("seed_demo", "--officers", "60", stdout=StringIO())
    found = []
    for model in apps.get_models():
        columns = [
            f
            for f in model._meta.local_concrete_fields
            if not isinstance(f, EncryptedTextField | models.BinaryField)
        ]
        if not columns:  # a proxy: its table is its concrete model's
            continue
        for row in model._base_manager.values_list(*(f.attname for f in columns)):
            for column, value in zip(columns, row, strict=True):
                for candidate in FERNET_TOKEN.findall(str(value)):
                    try:
                        crypto.decrypt(candidate)
                    except crypto.DecryptionError:
                        continue
                    found.append(f"{model._meta.label}.{column.name}")
    assert found == []
    assert Reveal.objects.exists() and OutboxMessage.objects.exists()


CRYPTO_CALL = re.compile(
    r"crypto\.(encrypt|decrypt|rotate)\(|from gfms_portal\.crypto import .*\b(encrypt|decrypt|rotate)\b"
)


def test_only_gfms_portal_calls_encrypt_and_decrypt() -> None:
    # Anything else goes through a model's accessor (e.g. `token.secret`), so every ciphertext
    # is in an EncryptedTextField that rotation finds.
    base = Path(django_settings.BASE_DIR)
    sources = [*base.glob("*.py")]
    for top in sorted(base.iterdir()):  # the project's packages (apps, bench), not .venv
        if (top / "__init__.py").exists() and top.name not in {"gfms_portal", "tests"}:
            sources.extend(top.rglob("*.py"))
    assert {"manage.py", "tokens/services.py", "bench/progress.py"} <= {
        str(path.relative_to(base)) for path in sources
    }
    offenders = [
        f"{path.relative_to(base)}:{number}"
        for path in sorted(sources)
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if CRYPTO_CALL.search(line)
    ]
    assert offenders == []


# --- the accessor --------------------------------------------------------------------------------


def test_accessor_encrypts_on_write_and_decrypts_on_read(settings, cgd_tree) -> None:
    settings.GFMS_ENCRYPTION_KEYS = [NEW_KEY]
    token = SoftToken(secret=DEMO_SECRET)  # type: ignore[misc]  # Model() takes a property as a keyword, like a field; django-stubs knows fields only
    assert token.secret_encrypted and DEMO_SECRET not in token.secret_encrypted
    assert crypto.decrypt(token.secret_encrypted) == token.secret == DEMO_SECRET
    token.secret = ""
    assert token.secret_encrypted == "" and token.secret == ""

    officer = Officer(username="x")
    officer.citizen_id = CITIZEN_ID
    assert officer.citizen_id_hash == crypto.lookup_hash(CITIZEN_ID, purpose="citizen-id")
    assert Officer.citizen_id.column_values(CITIZEN_ID)["citizen_id_hash"] == (
        officer.citizen_id_hash
    )
    assert officer.has_citizen_id(CITIZEN_ID)
    assert officer.masked_citizen_id == "X-XXXX-XXXX7-03-0"
    assert CITIZEN_ID not in officer.citizen_id_encrypted
