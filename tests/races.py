"""Many requests at the same instant, for the PostgreSQL race tests.

Each thread has its own database connection (Django's are per thread), so these are real
concurrent transactions; a barrier releases them together, at a frozen moment.
"""

import datetime as dt
import threading
from collections.abc import Callable
from typing import TypeVar

import time_machine
from django.db import connection, connections

T = TypeVar("T")


def at_once(count: int, action: Callable[[int], T], *, at: dt.datetime) -> list[T]:
    """Run `action(i)` for i in range(count) in threads released together; their results."""
    barrier = threading.Barrier(count)
    results: list[T] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def worker(index: int) -> None:
        try:
            # Connected before the barrier: the race is about the decision, not about 32
            # backends forking at once (which the client-side connect deadline would refuse).
            connection.ensure_connection()
            barrier.wait(timeout=30)
            result = action(index)
            with lock:
                results.append(result)
        except BaseException as error:  # reported in the main thread
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(count)]
    with time_machine.travel(at, tick=False):
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
    assert not errors, errors
    assert len(results) == count
    return results
