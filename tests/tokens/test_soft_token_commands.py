from io import StringIO
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.core.management import CommandError, call_command

from agencies.models import Officer
from audit.models import AuditEvent
from tests.factories import DEMO_SECRET, SoftTokenFactory
from tokens.models import SoftToken, SoftTokenStatus

pytestmark = pytest.mark.django_db
URI = f"otpauth://totp/GFMS%20Thai:charlie?secret={DEMO_SECRET}&issuer=GFMS%20Thai&algorithm=SHA1&digits=6&period=30"


def run(tmp_path: Path, text: str, *args: str) -> str:
    path = tmp_path / "seeds.csv"
    path.write_text(text, encoding="utf-8")
    out = StringIO()
    call_command("import_soft_tokens", str(path), *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_import_seed_and_uri_then_reimport_unchanged(
    tmp_path: Path, charlie: Officer, dave: Officer
) -> None:
    text = f"username,secret\ncharlie,{URI}\ndave,{DEMO_SECRET.lower()}\n"
    assert "2 created" in run(tmp_path, text)
    token = SoftToken.objects.get(officer=charlie, status=SoftTokenStatus.ACTIVE)
    assert token.secret == DEMO_SECRET
    assert DEMO_SECRET not in token.secret_encrypted
    assert "2 unchanged" in run(tmp_path, text)
    event = AuditEvent.objects.filter(action="soft_token.imported").first()
    assert event is not None and DEMO_SECRET not in str(event.data)


def test_new_seed_replaces_and_revokes_the_old_token(tmp_path: Path, charlie: Officer) -> None:
    old = SoftTokenFactory.create(officer=charlie)
    new_seed = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
    assert "1 updated" in run(tmp_path, f"username,secret\ncharlie,{new_seed}\n")
    old.refresh_from_db()
    assert old.status == SoftTokenStatus.REVOKED
    assert SoftToken.objects.filter(officer=charlie, status=SoftTokenStatus.ACTIVE).count() == 1


@pytest.mark.parametrize(
    ("secret", "message"),
    [
        ("JBSWY3DPEHPK3PXP", "only 80 bits; at least 128"),
        ("not-base32-1!", "not a base32 secret"),
        (URI.replace("SHA1", "SHA256"), "algorithm=SHA256 is not supported"),
        (URI.replace("digits=6", "digits=8"), "digits=8 is not supported"),
        (URI.replace("totp", "hotp", 1), "only otpauth://totp/"),
    ],
)
def test_bad_seeds_are_refused_and_nothing_changes(
    tmp_path: Path, charlie: Officer, dave: Officer, secret: str, message: str
) -> None:
    text = f"username,secret\ndave,{DEMO_SECRET}\ncharlie,{secret}\n"
    with pytest.raises(CommandError) as error:
        run(tmp_path, text)
    assert "line 3: secret: " in str(error.value)
    assert message in str(error.value)
    assert not SoftToken.objects.exists()


def test_unknown_officer_is_refused(tmp_path: Path, cgd_tree) -> None:
    with pytest.raises(CommandError, match="officer 'ghost' does not exist"):
        run(tmp_path, f"username,secret\nghost,{DEMO_SECRET}\n")


def test_dry_run_changes_nothing(tmp_path: Path, charlie: Officer) -> None:
    assert "1 to create" in run(tmp_path, f"username,secret\ncharlie,{DEMO_SECRET}\n", "--dry-run")
    assert not SoftToken.objects.exists()


def test_rotation_re_encrypts_everything_with_the_new_key(
    settings, charlie: Officer, dave: Officer
) -> None:
    old_key = settings.GFMS_ENCRYPTION_KEYS[0]
    SoftTokenFactory.create(officer=charlie)
    new_key = Fernet.generate_key().decode()
    settings.GFMS_ENCRYPTION_KEYS = [new_key, old_key]
    out = StringIO()
    call_command("rotate_encryption_key", "--batch-size", "1", stdout=out)
    assert "tokens.SoftToken.secret_encrypted: 1 rows" in out.getvalue()
    assert "agencies.Officer.citizen_id_encrypted: 2 rows" in out.getvalue()
    # Only the new key is needed from now on.
    settings.GFMS_ENCRYPTION_KEYS = [new_key]
    token = SoftToken.objects.get(officer=charlie)
    assert token.secret == DEMO_SECRET
    charlie.refresh_from_db()
    citizen_id = charlie.citizen_id
    assert charlie.has_citizen_id(citizen_id)
    event = AuditEvent.objects.get(action="encryption_key.rotated")
    assert event.data["rows"]["tokens.SoftToken.secret_encrypted"] == 1
    assert event.data["rows"]["agencies.Officer.citizen_id_encrypted"] == 2
