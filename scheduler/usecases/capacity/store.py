"""``results.jsonl``: every solved day of a capacity run, kept as soon as it is solved.

Solving is the expensive part of every capacity answer, so each finished day is appended at
once to ``results.jsonl`` in the run's output folder, keyed by what decides its result (the
scenario's hash, the census or the day of the month, the seed, the time limit). An
interrupted sweep, roster search or month keeps what it solved, and a re-run solves only the
rest; a roster search re-uses any roster it has already tried. The format is one JSON object
a line (``key``, ``scenario``, ``census``, ``seed``, ``time_limit_s``, ``metrics``), the
last line for a key winning, and a line cut short by an interruption is skipped.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Protocol

from scheduler.domain.capacity.metrics import DayMetrics
from scheduler.domain.capacity.scenario import Scenario

RESULTS = "results.jsonl"


class StoredTask(Protocol):
    """What the store needs of a task (a sweep's ``DayTask``, a month's ``MonthDayTask``)."""

    @property
    def scenario(self) -> Scenario: ...
    @property
    def census(self) -> int: ...
    @property
    def seed(self) -> int: ...
    @property
    def time_limit_s(self) -> float: ...
    def key(self) -> str: ...


class ResultStore:
    """``results.jsonl``: one line per solved day; the last line for a key wins."""

    def __init__(self, folder: Path):
        folder.mkdir(parents=True, exist_ok=True)
        self.path = folder / RESULTS
        self.known: dict[str, dict] = {}
        if self.path.exists():
            for line in self.path.read_text(encoding="utf-8").splitlines():
                try:
                    row = json.loads(line)
                    self.known[row["key"]] = row
                except (json.JSONDecodeError, KeyError):
                    continue  # a line cut short by an interruption

    def get(self, task: StoredTask) -> DayMetrics | None:
        row = self.known.get(task.key())
        return DayMetrics.from_dict(row["metrics"]) if row else None

    def raw(self, task: StoredTask) -> dict | None:
        """The stored metrics as written, with any extra keys a solve function added (the
        roster model's travel and unplaced-visit profile), or None if not solved yet."""
        row = self.known.get(task.key())
        return row["metrics"] if row else None

    def add(self, task: StoredTask, metrics: dict) -> None:
        row: dict[str, Any] = {
            "key": task.key(),
            "scenario": task.scenario.name,
            "census": task.census,
            "seed": task.seed,
            "time_limit_s": task.time_limit_s,
            "metrics": metrics,
        }
        self.known[row["key"]] = row
        with self.path.open("a", encoding="utf-8") as f:
            f.write(json.dumps(row) + "\n")
            f.flush()
