"""Values read from the database and kept a few seconds in this process, for what every login
check asks (the caller's key, the schedule). A copy is fresh from the moment it was read (the
clock of the request that read it) for `seconds`; a clock set back before that reads again.
Whoever changes the underlying row in this process drops the copy; other processes see the
change when theirs expires."""

import datetime as dt
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class Copies(Generic[K, V]):
    def __init__(self, *, seconds: float, most: int = 100) -> None:
        self.lifetime = dt.timedelta(seconds=seconds)
        self.most = most  # past this many keys the copies start again (no unbounded growth)
        self._entries: dict[K, tuple[dt.datetime, V]] = {}

    def get(self, key: K, *, at: dt.datetime) -> V | None:
        entry = self._entries.get(key)
        if entry is not None and entry[0] <= at < entry[0] + self.lifetime:
            return entry[1]
        return None

    def put(self, key: K, value: V, *, at: dt.datetime) -> V:
        if len(self._entries) >= self.most:
            self._entries.clear()
        self._entries[key] = (at, value)
        return value

    def drop(self, key: K) -> None:
        self._entries.pop(key, None)

    def clear(self) -> None:
        self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)
