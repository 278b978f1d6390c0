import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured

from gfms_portal import crypto

OLD_KEY = Fernet.generate_key().decode()
NEW_KEY = Fernet.generate_key().decode()


def test_encrypt_round_trip_and_ciphertext_hides_value(settings) -> None:
    settings.GFMS_ENCRYPTION_KEYS = [NEW_KEY]
    token = crypto.encrypt("1101700207030")
    assert "1101700207030" not in token
    assert crypto.decrypt(token) == "1101700207030"
    assert crypto.encrypt("1101700207030") != token  # random IV: equal values look different


def test_rotation_new_key_first_still_decrypts_and_matches_old_rows(settings) -> None:
    settings.GFMS_ENCRYPTION_KEYS = [OLD_KEY]
    old_token = crypto.encrypt("secret")
    old_hash = crypto.lookup_hash("secret", purpose="test")

    settings.GFMS_ENCRYPTION_KEYS = [NEW_KEY, OLD_KEY]
    assert crypto.decrypt(old_token) == "secret"
    candidates = crypto.lookup_hash_candidates("secret", purpose="test")
    assert old_hash in candidates
    assert crypto.lookup_hash("secret", purpose="test") == candidates[0] != old_hash


def test_removed_key_cannot_decrypt(settings) -> None:
    settings.GFMS_ENCRYPTION_KEYS = [OLD_KEY]
    token = crypto.encrypt("secret")
    settings.GFMS_ENCRYPTION_KEYS = [NEW_KEY]
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(token)


def test_lookup_hash_depends_on_purpose_and_key(settings) -> None:
    settings.GFMS_ENCRYPTION_KEYS = [NEW_KEY]
    a = crypto.lookup_hash("1101700207030", purpose="citizen-id")
    assert a != crypto.lookup_hash("1101700207030", purpose="other")
    assert "1101700207030" not in a
    settings.GFMS_ENCRYPTION_KEYS = [OLD_KEY]
    assert a != crypto.lookup_hash("1101700207030", purpose="citizen-id")


def test_malformed_key_is_a_configuration_error(settings) -> None:
    settings.GFMS_ENCRYPTION_KEYS = ["not-a-fernet-key"]
    with pytest.raises(ImproperlyConfigured, match="Fernet"):
        crypto.encrypt("x")
