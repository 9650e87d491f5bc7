"""The command line's one progress printer: a single line on stderr, rewritten in place on a
terminal, else printed every few seconds (so a log file is not flooded).

Two feeds: ``solve(progress)`` for one solve (``[12.3s / 60s] best cost 1,234, 980 visit
slots placed``) and ``days(done, total)`` for runs of many days (``[#####.....] 12/30 days ·
4:10 elapsed · ~6:00 left``).
"""

from __future__ import annotations

import sys
import time
from typing import TextIO

from solver import Progress


def clock(seconds: float) -> str:
    """``m:ss``."""
    whole = int(seconds)
    return f"{whole // 60}:{whole % 60:02d}"


class ProgressLine:
    """One line on ``stream`` (stderr by default)."""

    def __init__(self, stream: TextIO | None = None, *, every_s: float = 5.0):
        self.stream = stream if stream is not None else sys.stderr
        self.tty = self.stream.isatty()
        self.every_s = every_s
        self.t0 = time.monotonic()
        self.last = -float("inf")
        self.open = False
        self.time_limit: float | None = None
        self.first_done: int | None = None

    def show(self, text: str, *, force: bool = False) -> None:
        """Draw ``text``: in place on a terminal; elsewhere at most every ``every_s``."""
        now = time.monotonic()
        if not (self.tty or force) and now - self.last < self.every_s:
            return
        self.last = now
        if self.tty:
            self.stream.write("\r" + text.ljust(78))
            self.open = True
        else:
            self.stream.write(text + "\n")
        self.stream.flush()

    def close(self) -> None:
        """End the line (on a terminal), so what is printed next starts on its own."""
        if self.open:
            self.stream.write("\n")
            self.stream.flush()
            self.open = False

    # -- feeds ---------------------------------------------------------------------------
    def solve(self, p: Progress) -> None:
        """A solve's progress (``solver.Progress``)."""
        limit = f" / {self.time_limit:.0f}s" if self.time_limit is not None else ""
        cost = "building first rota" if p.objective is None else f"best cost {p.objective:,}"
        self.show(
            f"[{time.monotonic() - self.t0:5.1f}s{limit}] {cost}, "
            f"{p.tasks_placed:,} visit slots placed"
        )

    def days(self, done: int, total: int, label: str = "days") -> None:
        """``done`` of ``total`` days (or other units) finished; an estimate of the rest from
        the pace since the first call (days already done then were not solved now)."""
        if self.first_done is None:
            self.first_done = done
            self.t0 = time.monotonic()
        width = 30
        frac = done / total if total else 1.0
        bar = "#" * round(width * frac) + "." * (width - round(width * frac))
        spent = time.monotonic() - self.t0
        new = done - self.first_done
        left = spent / new * (total - done) if new else None
        eta = f" · ~{clock(left)} left" if left is not None and done < total else ""
        self.show(
            f"[{bar}] {done}/{total} {label} · {clock(spent)} elapsed{eta}",
            force=done >= total or new == 0,
        )
        if done >= total:
            self.close()
