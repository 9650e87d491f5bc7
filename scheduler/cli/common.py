"""What every ``hah`` command shares: exit codes and parsing of dates and times.

Exit codes follow the contract (docs/formats.md): 0 when the command did its job (a rota
with unassigned visits is an answer, not an error), 1 when ``check`` finds the rota breaks a
rule, 2 when the input was refused (each problem on stderr as ``file, row N, column C:
why``; nothing written).
"""

from __future__ import annotations

import argparse
import os
import time
from datetime import date, datetime

from scheduler.domain.errors import InputError, InputIssue
from scheduler.domain.localtime import LocalTimeError, from_local

EXIT_OK, EXIT_VIOLATIONS, EXIT_REFUSED = 0, 1, 2


def parse_date(text: str, flag: str = "--date") -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise InputError([InputIssue(flag, None, None, f"{text!r} is not YYYY-MM-DD")]) from exc


def parse_moment(text: str, flag: str) -> datetime:
    """A ``--now``-style option: local ``YYYY-MM-DDTHH:MM`` (Europe/London) or with an offset,
    as an aware UTC moment; a local time the clocks skip or repeat is refused, naming the flag
    (it needs its offset, as in the contract's files)."""
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError as exc:
        why = f"{text!r} is not YYYY-MM-DDTHH:MM"
        raise InputError([InputIssue(flag, None, None, why)]) from exc
    try:
        return from_local(parsed)
    except LocalTimeError as exc:
        raise InputError([InputIssue(flag, None, None, str(exc))]) from exc


def ids(text: str | None) -> frozenset[str]:
    """A comma-separated list of ids as a set (empty for none)."""
    return frozenset(x for x in (text or "").split(",") if x)


def add_executor_options(p: argparse.ArgumentParser) -> None:
    """``--workers`` and ``--ray``: where a capacity run's independent day solves go (a local
    process pool, by default one process per core, or a Ray cluster)."""
    p.add_argument("--workers", type=int, default=None, help="local processes (default: cores)")
    p.add_argument(
        "--ray",
        metavar="ADDRESS",
        default=None,
        help="run the solves on Ray: 'local' or a cluster address (extra: ray)",
    )


def add_day_and_rota_options(p: argparse.ArgumentParser) -> None:
    """``--visits``, ``--clinicians``, ``--rota`` and ``--now``: the day, the rota being run
    and the moment, as ``hah replan`` and ``hah propose`` both take them."""
    p.add_argument("--visits", required=True, help="the day's visits.csv the rota was made for")
    p.add_argument("--clinicians", required=True)
    p.add_argument("--rota", required=True, help="directory of the current rota")
    p.add_argument("--now", required=True, help="YYYY-MM-DDTHH:MM, local (or with an offset)")


def process_started() -> float:
    """When this process started, on ``time.monotonic``'s clock (now, where that is unknown).

    ``hah solve --time-limit 5`` promises an answer in about 5 s *of the command*: the
    second it takes Python to import pandas, numba and OR-Tools counts against the limit.
    On Linux the kernel's start time of the process (``/proc/self/stat``, clock ticks since
    boot) is compared with ``CLOCK_BOOTTIME``."""
    now = time.monotonic()
    try:
        with open("/proc/self/stat", encoding="ascii") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        started = int(fields[19]) / os.sysconf("SC_CLK_TCK")  # field 22: starttime
        age = time.clock_gettime(time.CLOCK_BOOTTIME) - started
    except (OSError, ValueError, IndexError, AttributeError):
        return now
    return now - max(0.0, min(age, 60.0))
