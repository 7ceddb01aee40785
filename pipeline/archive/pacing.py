"""Spacing calls to an archive service so its documented limits are never hit.

One pacer per endpoint and kind of call, shared by every thread in the process: the
Wayback Machine blocks an address for an hour (doubling each time) after a 429 storm, and
the Memento aggregator asks every archive it knows for each request we make.
"""

from __future__ import annotations

import threading
import time


class Pacer:
    """Spaces calls of one kind to one endpoint; shared by every thread in the process."""

    _registry: dict[tuple[str, str], Pacer] = {}
    _registry_lock = threading.Lock()

    def __init__(self, per_minute: float) -> None:
        self.interval = 60.0 / per_minute if per_minute > 0 else 0.0
        self._next = 0.0
        self._lock = threading.Lock()
        self.paused_until = 0.0
        self.calls: list[float] = []

    @classmethod
    def get(cls, endpoint: str, kind: str, per_minute: float) -> Pacer:
        with cls._registry_lock:
            key = (endpoint.rstrip("/"), kind)
            pacer = cls._registry.get(key)
            if pacer is None or abs(pacer.interval - (60.0 / per_minute if per_minute > 0 else 0.0)) > 1e-9:
                pacer = cls._registry[key] = cls(per_minute)
            return pacer

    def wait(self) -> None:
        with self._lock:
            now = time.monotonic()
            start = max(now, self._next, self.paused_until)
            self._next = start + self.interval
            self.calls.append(start)
        delay = start - time.monotonic()
        if delay > 0:
            time.sleep(delay)

    def pause(self, seconds: float) -> None:
        with self._lock:
            self.paused_until = max(self.paused_until, time.monotonic() + seconds)
            self._next = max(self._next, self.paused_until)
