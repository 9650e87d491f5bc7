"""The service clock: what time it is on the ward, for the live day.

Everything that depends on "now" (which visits are done, under way or being driven to, what
a re-plan may still change, the 2-hour response) reads it here, so a test or a demo can set
it (``HAH_NOW``, ``YYYY-MM-DDTHH:MM`` local time, in the app's configuration or the
environment) and play a day at any pace, while a real service follows the wall clock.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from scheduler.domain.localtime import ZONE


def now(config: Mapping[str, Any]) -> datetime:
    """Local wall-clock now (naive, Europe/London, like rota times): ``HAH_NOW`` if set."""
    fixed = config.get("HAH_NOW")
    if fixed:
        return datetime.fromisoformat(str(fixed)).replace(second=0, microsecond=0)
    return datetime.now(ZONE).replace(tzinfo=None, second=0, microsecond=0)


def is_fixed(config: Mapping[str, Any]) -> bool:
    """True when the clock is set (a test or demo), so the board can say so."""
    return bool(config.get("HAH_NOW"))


def stamp(config: Mapping[str, Any]) -> datetime | None:
    """The clock's now as a stored timestamp (naive UTC) when the clock is set, so a nurse's
    report in a played day carries the day's time; None (the database's own now) otherwise."""
    if not is_fixed(config):
        return None
    return now(config).replace(tzinfo=ZONE).astimezone(UTC).replace(tzinfo=None)
