"""The service clock: what time it is on the ward, for the live day.

Everything that depends on "now" (which visits are done, under way or being driven to, what
a re-plan may still change, the 2-hour response) reads it here, so a test or a demo can set
it (``HAH_NOW``, ``YYYY-MM-DDTHH:MM`` local time, or with an offset, which it needs in the
hour the clocks repeat in October; in the app's configuration or the environment) and play a
day at any pace, while a real service follows the wall clock.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from scheduler.domain.localtime import parse_contract


def now(config: Mapping[str, Any]) -> datetime:
    """Now, to the minute, as an aware UTC moment like every rota time: ``HAH_NOW`` if set."""
    fixed = config.get("HAH_NOW")
    moment = parse_contract(str(fixed)) if fixed else datetime.now(UTC)
    return moment.replace(second=0, microsecond=0)


def is_fixed(config: Mapping[str, Any]) -> bool:
    """True when the clock is set (a test or demo), so the board can say so."""
    return bool(config.get("HAH_NOW"))


def to_stamp(moment: datetime) -> datetime:
    """A moment as a stored timestamp: naive UTC, like every timestamp column."""
    return moment.astimezone(UTC).replace(tzinfo=None)


def from_stamp(stamp: datetime) -> datetime:
    """A stored (naive UTC) timestamp as an aware UTC moment, to compare with rota times."""
    return stamp.replace(tzinfo=UTC) if stamp.tzinfo is None else stamp.astimezone(UTC)


def stamp(config: Mapping[str, Any]) -> datetime | None:
    """The clock's now as a stored timestamp (naive UTC) when the clock is set, so a nurse's
    report in a played day carries the day's time; None (the database's own now) otherwise."""
    if not is_fixed(config):
        return None
    return to_stamp(now(config))
