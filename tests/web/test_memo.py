"""``web.services.memo.ProcessCache``: least recently used goes first, and a value asked for
by many threads at once is made once."""

from __future__ import annotations

import threading

import pytest

from web.services.memo import ProcessCache


def test_the_least_recently_used_goes_first():
    cache: ProcessCache[int] = ProcessCache(2)
    cache.put("a", 1)
    cache.put("b", 2)
    assert cache.get("a") == 1  # a is now the most recent
    cache.put("c", 3)
    assert cache.get("b") is None and cache.get("a") == 1 and cache.get("c") == 3


def test_sixteen_threads_asking_at_once_make_it_once():
    cache: ProcessCache[str] = ProcessCache(4)
    made: list[int] = []
    started = threading.Barrier(16)
    release = threading.Event()

    def make() -> str:
        made.append(1)
        release.wait(5)
        return "day"

    got: list[str] = []

    def ask() -> None:
        started.wait(5)
        got.append(cache.get_or_make("k", make))

    threads = [threading.Thread(target=ask) for _ in range(16)]
    for t in threads:
        t.start()
    while not made:  # the first one is making it; the others wait at its gate
        threading.Event().wait(0.01)
    threading.Event().wait(0.1)  # time for the others to reach the gate
    release.set()
    for t in threads:
        t.join(5)
    assert got == ["day"] * 16 and len(made) == 1


def test_a_failed_make_is_tried_again_by_the_next_caller():
    cache: ProcessCache[int] = ProcessCache(4)

    def boom() -> int:
        raise ValueError("the files are unreadable")

    with pytest.raises(ValueError):
        cache.get_or_make("k", boom)
    assert cache.get_or_make("k", lambda: 7) == 7
