"""Two cooperating ruin-and-recreate searches, one per core, the best answer kept.

Why: the machines the trust runs this on have two cores, and one search uses one of them
(VROOM on two threads used ~1.8). Splitting the day into parts would cut across the
clinicians every part shares, so instead both cores search the *whole* day from the same
routes with different random streams, in **epochs**: at the end of each epoch both searches
hand in their best routes, the better is kept, and both go on from it in the next epoch
(with the temperature carried on where the epoch left it, so the annealing schedule over the
whole budget is the one a single search would follow). Exchanging at epoch ends, rather than
never, is what makes the second search cooperate: a search stuck in a poor region is pulled
to the better one's routes and explores around them with its own random stream.

The partner runs in a fresh interpreter (``python -m solver.lns.partner``, talking over a
pipe pair: no thread or lock of the caller is inherited, which matters in the web app's
workers, and unlike ``multiprocessing``'s spawn it never re-imports the caller's main
script, so a user's script needs no ``__main__`` guard) and is started by ``Partner.start``
*before* the construction, so that its start-up (importing numpy and numba's cached engine,
about a second) overlaps the construction instead of eating the search's budget.

Budgets:

- ``MaxIterations(N)``: every search runs exactly ``N`` iterations, in ``EPOCHS`` equal
  parts, and the messages are the only thing a search depends on, so the same seed gives the
  same routes, however the two processes are scheduled;
- ``MaxRuntime(s)``: epochs end at fixed moments (``time.monotonic`` is one clock for all
  processes on Linux), so the time limit holds; which search wins an epoch then depends on
  how fast each ran, and the rota may vary from run to run (as any time-limited search).

If the partner fails or does not answer by an epoch's end (plus ``GRACE_S``) the search
goes on alone; ``Stop`` is passed to the partner through an event it checks every batch.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from multiprocessing.connection import Connection
from pathlib import Path
from types import FrameType
from typing import Any

import numpy as np

from solver.lns.search import DayArrays, LnsResult, improve, neighbour_lists, warm_up
from solver.stop import (
    Budget,
    MaxIterations,
    MaxRuntime,
    SearchStatus,
    StoppingCriterion,
    stop_requested,
)

#: Exchanges per search: enough to pull a stuck search along, few enough that each epoch is
#: long compared with the exchange (pickling the routes, rebuilding route state).
EPOCHS = 4
#: A time-limited epoch shorter than this is not split further (short limits: fewer epochs).
MIN_EPOCH_S = 2.0
#: Seconds past an epoch's end the partner may take to hand in before it is given up on.
GRACE_S = 2.0
#: Seconds the partner may take to start (import numpy, load numba's cached engine).
STARTUP_S = 60.0
#: The annealing temperatures a single search would use (relative; ``improve``'s default).
HOT, COLD = 10.0, 0.1

Progress = Callable[[float, float, int, int], None]


@dataclass(frozen=True)
class _Epoch:
    """What the partner needs for one epoch; the day itself is sent once, before."""

    routes: list[list[int]]
    gaps: list[int]
    iterations: int | None  # an iteration budget, or None for a deadline
    deadline: float  # time.monotonic() at which a time-limited epoch ends
    temperature: tuple[float, float]
    seed: int
    #: the windows ``routes`` were made with (the search moves pairs' minutes and cuts)
    windows: tuple[list[int], list[int]] | None = None


_stop_signalled = False


def _on_stop(_signum: int, _frame: FrameType | None) -> None:  # pragma: no cover - child
    global _stop_signalled
    _stop_signalled = True


def serve(down: Connection, up: Connection) -> None:  # pragma: no cover - partner process
    """The partner's loop: receive the day, then epochs, answer each with its best; SIGUSR1
    (the caller's Stop) ends the epoch in progress."""
    signal.signal(signal.SIGUSR1, _on_stop)
    parent = os.getppid()
    warm_up()
    day: DayArrays | None = None
    lists: tuple[np.ndarray, np.ndarray] | None = None
    up.send("ready")
    while True:
        try:
            message = down.recv()
        except EOFError:
            return
        if message is None:
            return
        if isinstance(message, DayArrays):
            day, lists = message, neighbour_lists(message)
            continue
        assert day is not None and isinstance(message, _Epoch)
        # a caller killed outright (a lost web worker) is noticed within a batch, too
        up.send(
            _run_epoch(day, lists, message, lambda _s: _stop_signalled or os.getppid() != parent)
        )


def _run_epoch(
    day: DayArrays,
    lists: tuple[np.ndarray, np.ndarray] | None,
    epoch: _Epoch,
    stop: StoppingCriterion | None,
    progress: Progress | None = None,
) -> LnsResult:
    budget: Budget
    if epoch.iterations is not None:
        budget = MaxIterations(epoch.iterations)
    else:
        budget = MaxRuntime(max(0.0, epoch.deadline - time.monotonic()))
    return improve(
        day, epoch.routes, epoch.gaps, budget, stop=stop, seed=epoch.seed,
        temperature=epoch.temperature, progress=progress, lists=lists, windows=epoch.windows,
    )  # fmt: skip


class Partner:
    """The second search's process; ``start`` it early, ``close`` it when done (or use
    ``with``). A partner that could not start is simply absent (``alive`` is False)."""

    def __init__(self) -> None:
        self._ready = False
        self._day: DayArrays | None = None
        self.alive = True
        down_r, down_w = os.pipe()  # caller → partner
        up_r, up_w = os.pipe()  # partner → caller
        try:
            self._process: subprocess.Popen[bytes] | None = subprocess.Popen(
                [sys.executable, "-m", "solver.lns.partner", str(down_r), str(up_w)],
                pass_fds=(down_r, up_w), stdin=subprocess.DEVNULL, env=_child_env(),
            )  # fmt: skip
        except OSError:  # pragma: no cover - no processes allowed here
            self._process, self.alive = None, False
        os.close(down_r)
        os.close(up_w)
        self._send = Connection(down_w, readable=False)
        self._conn = Connection(up_r, writable=False)

    @classmethod
    def start(cls) -> Partner:
        return cls()

    def __enter__(self) -> Partner:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def _receive(self, until: float) -> Any:
        """The partner's next message, or None (and the partner given up) if it fails or
        has not answered by monotonic time ``until``."""
        if not self.alive:
            return None
        try:
            if self._conn.poll(max(0.0, until - time.monotonic())):
                return self._conn.recv()
        except (EOFError, OSError):
            pass
        self.alive = False
        if self._process is not None:
            self._process.kill()
        return None

    def begin(self, day: DayArrays, epoch: _Epoch) -> bool:
        """Hand the partner an epoch of ``day``; False if it is not there to take it.

        The day goes over the pipe once, when the partner is ready to read it (a pipe write
        blocks until the reader takes it, and the partner may still be starting)."""
        if not self.alive:
            return False
        if not self._ready:
            # Under an iteration budget the partner is waited for (the epochs must be the
            # same on every run); under a deadline it joins at the first epoch after its
            # start-up, and this search does not wait for it.
            if epoch.iterations is None:
                try:
                    if not self._conn.poll(0):
                        return False
                except OSError:  # pragma: no cover - the child died
                    self.alive = False
                    return False
            if self._receive(time.monotonic() + STARTUP_S) != "ready":
                return False
            self._ready = True
        try:
            if self._day is not day:
                self._send.send(day)
                self._day = day
            self._send.send(epoch)
        except (OSError, ValueError):  # pragma: no cover - the child died
            self.alive = False
        return self.alive

    def result(self, epoch: _Epoch) -> LnsResult | None:
        until = (epoch.deadline if epoch.iterations is None else time.monotonic() + 600) + GRACE_S
        found = self._receive(until)
        return found if isinstance(found, LnsResult) else None

    def stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.send_signal(signal.SIGUSR1)

    def close(self) -> None:
        if self._process is not None and self._process.poll() is None:
            with contextlib.suppress(OSError, ValueError):
                self._send.send(None)
            try:
                self._process.wait(timeout=2)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        self._send.close()
        self._conn.close()


def _child_env() -> dict[str, str]:
    """The caller's environment, with this project importable however the caller found it."""
    env = dict(os.environ)
    root = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
    return env


def _temperatures(epochs: int) -> list[tuple[float, float]]:
    """The single search's geometric cooling from HOT to COLD, cut into ``epochs`` parts."""
    at = [HOT * (COLD / HOT) ** (e / epochs) for e in range(epochs + 1)]
    return list(itertools.pairwise(at))


def _epoch_count(budget: Budget) -> int:
    if isinstance(budget, MaxRuntime):
        return max(1, min(EPOCHS, int(budget.seconds // MIN_EPOCH_S)))
    return EPOCHS


def _gaps_of(result: LnsResult, fallback: list[int]) -> list[int]:
    return list(result.gaps) if result.gaps is not None else fallback


def improve_together(
    day: DayArrays,
    routes: list[list[int]],
    gaps: list[int],
    budget: Budget,
    partner: Partner | None,
    *,
    stop: StoppingCriterion | None = None,
    seed: int = 0,
    progress: Progress | None = None,
) -> LnsResult:
    """``improve`` on this core and, if ``partner`` is alive, on the partner's, in epochs
    (module docstring); the best routes of both. With no partner this is one search whose
    result equals ``improve``'s with the same budget, cut into epochs."""
    t0 = time.monotonic()
    epochs = _epoch_count(budget)
    temps = _temperatures(epochs)
    lists = neighbour_lists(day)
    halt = _Halt(stop, partner)
    total = budget.iterations if isinstance(budget, MaxIterations) else None
    seconds = budget.seconds if isinstance(budget, MaxRuntime) else 0.0
    start_cost: float | None = None
    best: LnsResult | None = None
    iterations = 0
    windows: tuple[list[int], list[int]] | None = None
    for e in range(epochs):
        share = None if total is None else total * (e + 1) // epochs - total * e // epochs
        epoch = _Epoch(
            [list(r) for r in routes], list(gaps), share,
            t0 + seconds * (e + 1) / epochs, temps[e], seed * 7919 + 2 * e, windows,
        )  # fmt: skip
        theirs_started = partner is not None and partner.begin(
            day, replace(epoch, seed=epoch.seed + 1)
        )
        ours = _run_epoch(day, lists, epoch, halt, _offset(progress, t0, iterations))
        theirs = partner.result(epoch) if partner is not None and theirs_started else None
        if start_cost is None:
            start_cost = ours.start_cost
        iterations += ours.iterations + (theirs.iterations if theirs is not None else 0)
        winner = ours if theirs is None or ours.cost <= theirs.cost else theirs
        if best is None or winner.cost <= best.cost:
            best = winner
        routes, gaps = best.routes, _gaps_of(best, gaps)
        windows = best.windows if best.windows is not None else windows
        if ours.stopped or halt.fired:
            break
    assert best is not None and start_cost is not None
    return LnsResult(
        best.routes, best.cost, start_cost, iterations, time.monotonic() - t0,
        stopped=halt.fired, gaps=best.gaps, windows=windows,
    )  # fmt: skip


class _Halt:
    """The caller's stopping rule, which also stops the partner the moment it fires."""

    def __init__(self, stop: StoppingCriterion | None, partner: Partner | None) -> None:
        self._stop, self._partner, self.fired = stop, partner, False

    def __call__(self, status: SearchStatus) -> bool:
        if not self.fired and stop_requested(self._stop, status):
            self.fired = True
            if self._partner is not None:
                self._partner.stop()
        return self.fired


def _offset(progress: Progress | None, t0: float, done: int) -> Progress | None:
    """Progress of one epoch, reported as seconds and iterations of the whole search."""
    if progress is None:
        return None
    return lambda _s, cost, placed, it: progress(time.monotonic() - t0, cost, placed, done + it)
