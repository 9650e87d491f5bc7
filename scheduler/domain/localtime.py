"""The service's clock: Europe/London wall-clock time, as people on the ward read it.

Every time a person reads (a board, a phone, a file the contract describes) goes through
``local`` / ``hm`` here, so there is one place that turns the domain's moments into the
wall-clock time of the service's zone.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

#: The service's time zone (the contract's default).
ZONE = ZoneInfo("Europe/London")


def local(moment: datetime) -> datetime:
    """``moment`` as wall-clock time in ``ZONE`` (a naive moment is taken as already local)."""
    return moment if moment.tzinfo is None else moment.astimezone(ZONE)


def hm(moment: datetime) -> str:
    """``HH:MM`` in the service's zone."""
    return f"{local(moment):%H:%M}"
