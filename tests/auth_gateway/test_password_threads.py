"""Every password hash of a process is computed in one thread of its own
(GFMS_PASSWORD_HASH_THREADS, auth_gateway.passwords): whichever request thread asks, the same
thread hashes, one at a time; 0 hashes in the asking thread."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.contrib.auth.hashers import MD5PasswordHasher, make_password

from auth_gateway import passwords

SEEN: list[str] = []
BUSY = threading.Lock()
OVERLAPS: list[bool] = []


class RecordingHasher(MD5PasswordHasher):
    """MD5 that notes the thread it runs in, and whether another hash was running."""

    algorithm = "argon2"  # as memory-hard hashes are: they go to the hash thread

    def verify(self, password: str, encoded: str) -> bool:
        if password == "boom":
            raise RuntimeError("the hasher failed")
        OVERLAPS.append(not BUSY.acquire(blocking=False))
        try:
            SEEN.append(threading.current_thread().name)
            threading.Event().wait(0.01)  # long enough for the asking threads to pile up
            return super().verify(password, encoded)
        finally:
            if not OVERLAPS[-1]:
                BUSY.release()


@pytest.fixture
def recording(settings):
    settings.PASSWORD_HASHERS = [f"{__name__}.RecordingHasher"]
    SEEN.clear()
    OVERLAPS.clear()
    yield make_password("right", hasher="argon2")


def test_hashes_asked_from_many_threads_run_one_at_a_time_in_one_thread(recording) -> None:
    with ThreadPoolExecutor(max_workers=8) as requests:
        answers = list(
            requests.map(
                lambda typed: passwords.verify_password(recording, typed), ["right", "wrong"] * 8
            )
        )
    assert answers == [(True, False), (False, False)] * 8
    assert len(SEEN) == 16 and len(set(SEEN)) == 1 and SEEN[0].startswith("password-hash")
    assert not any(OVERLAPS)


def test_with_no_hash_thread_each_request_hashes_in_its_own_thread(recording, settings) -> None:
    settings.GFMS_PASSWORD_HASH_THREADS = 0
    assert passwords.verify_password(recording, "right") == (True, False)
    assert [threading.current_thread().name] == SEEN


def test_a_failing_hash_reaches_the_caller_and_the_thread_goes_on(recording) -> None:
    """The check fails closed (the API answers 503), and the next hash still runs."""
    with pytest.raises(RuntimeError):
        passwords.verify_password(recording, "boom")
    assert passwords.verify_password(recording, "right") == (True, False)


class MD5Spy(MD5PasswordHasher):
    """MD5 that notes the thread it runs in."""

    def verify(self, password: str, encoded: str) -> bool:
        SEEN.append(threading.current_thread().name)
        return super().verify(password, encoded)


def test_a_hash_that_is_not_memory_hard_is_checked_in_the_asking_thread(settings) -> None:
    """PBKDF2, bcrypt, MD5: nothing for the hash thread to keep warm, so no hand-over."""
    settings.PASSWORD_HASHERS = [f"{__name__}.MD5Spy"]
    SEEN.clear()
    encoded = make_password("right", hasher="md5")
    assert passwords.verify_password(encoded, "right") == (True, False)
    assert [threading.current_thread().name] == SEEN
