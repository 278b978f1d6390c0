"""A client-side deadline on every PostgreSQL round trip (psycopg2).

statement_timeout is enforced by the server, so a server that does not answer at all (frozen,
swapped out, a stuck storage volume, a SIGSTOPped postmaster) never applies it, and the kernel
keeps ACKing TCP and answering keepalives for the stopped process, so keepalives and
tcp_user_timeout do not notice either: a blocking libpq call would wait forever and every
login with it. psycopg2 lets us own the waiting: with a wait callback installed, libpq runs
non-blocking and this module polls the socket, giving up after a deadline.

When a deadline passes we raise psycopg2.OperationalError. psycopg2 then closes the
connection itself ("green panic"), Django wraps the error, the gateway turns it into a 503
(auth_gateway.api.errors.fail_closed), and at the end of the request Django finds the
connection unusable and drops it; the next request connects afresh, so service resumes on
its own when the server answers again. We never send a cancel request: PQcancel opens a new
connection to the postmaster and blocks waiting for it, which is the very thing that is not
answering. The server-side statement (if any) ends by statement_timeout when the server
resumes, or when it notices the client is gone.

Limits are per wait, not per request: connecting (TCP, startup, authentication) gets
`connect_s`, every later round trip `query_s`. Once one wait has expired, the process knows the
server is not answering: for the next RETRY_S it fails further waits at once instead of
letting every worker thread sit out its own deadline (requests queue behind those threads;
20 logins on 8 threads would otherwise take three deadlines). After RETRY_S waits go through
again with their deadlines, and the first answer from the server ends the episode, so service
resumes at most RETRY_S after the server does, in every process on its own. A server that is
merely slow never trips this: its statement_timeout (below query_s, gfms.E005) answers first.

Green mode cannot run COPY (cursor.copy_expert raises ProgrammingError): anything that needs
it (bench/progress.py seeding) runs with DB_CLIENT_TIMEOUT_MS=0, which leaves libpq blocking.
"""

import contextlib
import select
import threading
import time
from collections.abc import Iterator

import psycopg2
from psycopg2 import extensions

RETRY_S = 1.0

_limits: dict[str, float] = {}
_lock = threading.Lock()
_silent_since: float | None = None  # when a deadline last expired (time.monotonic)


def install(*, connect_s: float, query_s: float) -> None:
    """Install the deadline for this process (every thread, every connection)."""
    if query_s <= 0:
        _limits.clear()
        extensions.set_wait_callback(None)
        return
    _limits.update(connect=connect_s, query=query_s)
    extensions.set_wait_callback(wait_with_deadline)


@contextlib.contextmanager
def suspended() -> Iterator[None]:
    """No client-side deadline for connections opened inside (the test run's CREATE and DROP
    DATABASE, which can wait seconds for a checkpoint)."""
    callback = extensions.get_wait_callback()
    extensions.set_wait_callback(None)
    try:
        yield
    finally:
        extensions.set_wait_callback(callback)


def installed() -> bool:
    return extensions.get_wait_callback() is wait_with_deadline


def wait_with_deadline(conn: extensions.connection) -> None:
    connecting = conn.status == extensions.STATUS_SETUP
    limit = _limits["connect" if connecting else "query"]
    _fail_at_once_while_silent()
    try:
        _wait(conn, limit, connecting)
    except DeadlineExpired:
        _record(answered=False)
        raise
    _record(answered=True)


class DeadlineExpired(psycopg2.OperationalError):
    pass


def _fail_at_once_while_silent() -> None:
    with _lock:
        if _silent_since is None:
            return
        silent_for = time.monotonic() - _silent_since
    if silent_for < RETRY_S:
        raise psycopg2.OperationalError(
            f"the database did not answer {silent_for:.1f} s ago; failing at once for "
            f"{RETRY_S:.0f} s"
        )


def _record(*, answered: bool) -> None:
    global _silent_since
    with _lock:
        _silent_since = None if answered else time.monotonic()


def _wait(conn: extensions.connection, limit: float, connecting: bool) -> None:
    deadline = time.monotonic() + limit
    # poll() rather than select(): select() fails on descriptors above 1023, which a
    # threaded worker with many open files can reach.
    poller = select.poll()
    registered = None
    while True:
        state = conn.poll()
        if state == extensions.POLL_OK:
            return
        if state == extensions.POLL_READ:
            events = select.POLLIN
        elif state == extensions.POLL_WRITE:
            events = select.POLLOUT
        else:  # pragma: no cover - psycopg2 documents only the three states above
            raise psycopg2.OperationalError(f"unexpected poll state {state!r}")
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            what = "connecting to" if connecting else "waiting for"
            raise DeadlineExpired(
                f"gave up {what} the database after {limit:.1f} s (client-side deadline, "
                "DB_CONNECT_TIMEOUT / DB_CLIENT_TIMEOUT_MS)"
            )
        fd = conn.fileno()
        if registered != (fd, events):
            if registered is not None:
                poller.unregister(registered[0])
            poller.register(fd, events)
            registered = (fd, events)
        # Ceil to whole ms so a remaining 0.3 ms does not become a busy 0 ms poll.
        poller.poll(max(1, int(remaining * 1000 + 0.999)))
