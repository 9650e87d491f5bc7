"""One small in-process cache for what the web app rebuilds from stored rows that never
change (a day's files, a version's rota, the board's sections, a day's figures).

Least recently used entries go first. ``get_or_make`` is *single-flight*: when sixteen
threads of a worker ask at once for what is not there yet (the first nurses of a shift,
right after a restart), one builds it and the others wait for it, rather than sixteen
building the same day in parallel under one interpreter lock (measured: a cold burst of 16
route opens took 768 ms of wall time against 428 ms warm).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

T = TypeVar("T")


class ProcessCache(Generic[T]):
    """At most ``size`` values, by key, shared by the threads of one process."""

    def __init__(self, size: int):
        self.size = size
        self._values: OrderedDict[Hashable, T] = OrderedDict()
        self._lock = threading.Lock()
        self._making: dict[Hashable, threading.Lock] = {}

    def get(self, key: Hashable) -> T | None:
        with self._lock:
            if key in self._values:
                self._values.move_to_end(key)
                return self._values[key]
        return None

    def put(self, key: Hashable, value: T) -> None:
        with self._lock:
            self._values[key] = value
            self._values.move_to_end(key)
            while len(self._values) > self.size:
                self._values.popitem(last=False)

    def get_or_make(self, key: Hashable, make: Callable[[], T]) -> T:
        """The value of ``key``, made by ``make()`` once if missing (others asking meanwhile
        wait for it; if ``make`` raises, the next one asking tries again)."""
        value = self.get(key)
        if value is not None:
            return value
        with self._lock:
            gate = self._making.setdefault(key, threading.Lock())
        with gate:
            value = self.get(key)
            if value is None:
                value = make()
                self.put(key, value)
        with self._lock:
            self._making.pop(key, None)
        return value

    def clear(self) -> None:
        with self._lock:
            self._values.clear()
