"""The service's clock: Europe/London wall-clock time, as people on the ward read it.

The domain, the solver and the checker hold every moment as an *aware UTC* ``datetime``, so
that subtracting two moments gives the real time elapsed between them: a night shift from
21:00 to 07:30 lasts 11.5 h on the night the clocks go back in October and 9.5 h on the night
they go forward in March. People and files speak local wall-clock time; this module is the one
place the two meet:

- in: ``from_local`` (a contract time read from a file, a form or a flag: an offset in the
  text is honoured; without one, a local time that happens twice or not at all on a
  clock-change night is refused), ``at_local`` (a time of day on a date, for generators:
  never refuses), ``parse_contract`` (text to a moment);
- out: ``local`` and ``hm`` for people, ``contract_text`` for the contract's files
  (``YYYY-MM-DDTHH:MM``, with the offset only when the local time is ambiguous) and
  ``stamp`` for stored JSON (local time with its offset, always).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

#: The service's time zone (the contract's default).
ZONE = ZoneInfo("Europe/London")
#: What every domain moment is expressed in.
UTC_ZONE = UTC

#: The contract's date-time, as written to files (no seconds, as the rota's minutes have none).
CONTRACT_FORMAT = "%Y-%m-%dT%H:%M"


class LocalTimeError(ValueError):
    """A local time that cannot be turned into one moment: it does not exist (the hour the
    clocks skip in March) or it happens twice (the hour repeated in October)."""


def _offsets(naive: datetime) -> tuple[timedelta | None, timedelta | None]:
    return (
        naive.replace(fold=0, tzinfo=ZONE).utcoffset(),
        naive.replace(fold=1, tzinfo=ZONE).utcoffset(),
    )


def exists(naive: datetime) -> bool:
    """Whether the local wall-clock time ``naive`` happens at all in ``ZONE``."""
    aware = naive.replace(tzinfo=ZONE)
    return aware.astimezone(UTC).astimezone(ZONE).replace(tzinfo=None) == naive.replace(fold=0)


def is_ambiguous(naive: datetime) -> bool:
    """Whether the local wall-clock time ``naive`` happens twice (the clocks going back)."""
    first, second = _offsets(naive)
    return first != second and exists(naive)


def _offset_text(offset: timedelta | None) -> str:
    minutes = int((offset or timedelta()).total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def from_local(naive: datetime, *, fold: int | None = None) -> datetime:
    """The moment (aware, UTC) of a local time in ``ZONE``.

    A ``datetime`` that already carries an offset (the text said ``+01:00`` or ``Z``) is
    simply converted. A naive one is read as wall-clock time in ``ZONE``: a time the clocks
    skip (``2026-03-29T01:30``) is refused, and so is one they repeat
    (``2026-10-25T01:30``) unless ``fold`` says which: 0 for the first (summer time), 1 for
    the second. Raises ``LocalTimeError`` (a ``ValueError``) saying why.
    """
    if naive.tzinfo is not None:
        return naive.astimezone(UTC)
    text = naive.strftime(CONTRACT_FORMAT)
    if not exists(naive):
        raise LocalTimeError(
            f"{text} does not exist in {ZONE.key}: the clocks go forward an hour that night; "
            "give the time after the change, or an offset"
        )
    if is_ambiguous(naive):
        if fold is None:
            first, second = (_offset_text(o) for o in _offsets(naive))
            raise LocalTimeError(
                f"{text} happens twice in {ZONE.key} (the clocks go back an hour that night); "
                f"add the offset: {text}{first} for the first, {text}{second} for the second"
            )
        return naive.replace(fold=fold, tzinfo=ZONE).astimezone(UTC)
    return naive.replace(fold=0, tzinfo=ZONE).astimezone(UTC)


def at_local(day: date, hour: int = 0, minute: int = 0, *, fold: int = 0) -> datetime:
    """The moment (aware, UTC) the clocks in ``ZONE`` show ``hour:minute`` on ``day``.

    For generators (synthetic days, care plans, tests), so it never refuses: ``hour`` may be
    24 or more (the next day's morning, e.g. 31 for 07:00 after a night), a repeated time is
    taken as its ``fold`` (0: the first, in summer time) and a skipped one lands after the
    change (01:30 on the March night is 02:30 summer time: the clock a nurse would read).
    """
    extra, hour = divmod(hour, 24)
    naive = datetime.combine(day + timedelta(days=extra), time(hour, minute))
    return naive.replace(fold=fold, tzinfo=ZONE).astimezone(UTC)


def local_midnight(moment: datetime) -> datetime:
    """The local midnight (as an aware UTC moment) that starts ``moment``'s local day."""
    return at_local(local(moment).date())


def utc(moment: datetime) -> datetime:
    """An aware moment in UTC; a naive one is refused (it says nothing about its zone)."""
    if moment.tzinfo is None:
        raise ValueError(
            f"{moment.isoformat()} has no time zone: read local times with from_local"
        )
    return moment.astimezone(UTC)


def local(moment: datetime) -> datetime:
    """``moment`` as (aware) wall-clock time in ``ZONE``; a naive moment is taken as already
    local wall-clock time (stored stamps and old stored rotas are converted by their readers
    before they get here)."""
    return moment if moment.tzinfo is None else moment.astimezone(ZONE)


def hm(moment: datetime) -> str:
    """``HH:MM`` in the service's zone."""
    return f"{local(moment):%H:%M}"


def contract_text(moment: datetime) -> str:
    """``moment`` as the contract writes times: local ``YYYY-MM-DDTHH:MM``, with the offset
    appended (``2026-10-25T01:30+01:00``) only when that local time happens twice."""
    here = local(moment)
    text = here.strftime(CONTRACT_FORMAT)
    if here.tzinfo is not None and is_ambiguous(here.replace(tzinfo=None)):
        text += _offset_text(here.utcoffset())
    return text


def stamp(moment: datetime) -> str:
    """A moment as stored JSON keeps it: local date-time to the second with its offset
    (``2026-11-23T09:30:00+00:00``), so it reads as local time and is never ambiguous."""
    return local(utc(moment)).isoformat(timespec="seconds")


def parse_contract(text: str, *, lenient: bool = False) -> datetime:
    """A contract or stored date-time (``YYYY-MM-DDTHH:MM[:SS][offset]``) as an aware UTC
    moment. Naive text is local time in ``ZONE``, refused when ambiguous or skipped (see
    ``from_local``), unless ``lenient`` (old stored data written before offsets were kept:
    the first of two, or after a skip). Raises ``ValueError``."""
    parsed = datetime.fromisoformat(text.strip())
    if lenient and parsed.tzinfo is None:
        return parsed.replace(tzinfo=ZONE).astimezone(UTC)
    return from_local(parsed)
