"""Civil dawn and dusk from the NOAA solar equations, against published sunset times for
London and Hertfordshire at midsummer and midwinter, and the spans of light a visit is
planned in."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from scheduler.domain.daylight import (
    SUNSET_ZENITH,
    in_light,
    light_span,
    light_spans,
    light_window,
    sun_event,
    sunset,
)
from scheduler.domain.localtime import at_local, local
from scheduler.domain.model import Location

LONDON = Location(51.5072, -0.1276)  # Charing Cross
WELWYN = Location(51.8031, -0.2082)  # Welwyn Garden City, Hertfordshire
UNST = Location(60.80, -0.85)  # the far north of Shetland: no dark night at midsummer
MIDSUMMER, MIDWINTER = date(2026, 6, 21), date(2026, 12, 21)


def _minutes_from(moment: datetime, day: date, hh_mm: str) -> float:
    h, m = map(int, hh_mm.split(":"))
    return abs((moment - at_local(day, h, m)).total_seconds()) / 60


@pytest.mark.parametrize(
    ("place", "day", "sunset_at"),
    [
        # The almanac figures (HM Nautical Almanac Office, as timeanddate.com publishes them)
        (LONDON, MIDSUMMER, "21:21"),  # BST
        (LONDON, MIDWINTER, "15:53"),  # GMT
        (WELWYN, MIDSUMMER, "21:23"),
        (WELWYN, MIDWINTER, "15:52"),
    ],
)
def test_sunset_agrees_with_the_almanac_within_two_minutes(place, day, sunset_at):
    moment = sunset(place, day)
    assert moment is not None
    assert _minutes_from(moment, day, sunset_at) <= 2


@pytest.mark.parametrize(
    ("place", "day", "sunrise_at"),
    [(LONDON, MIDSUMMER, "04:43"), (LONDON, MIDWINTER, "08:04")],
)
def test_sunrise_agrees_with_the_almanac_within_two_minutes(place, day, sunrise_at):
    moment = sun_event(place, day, SUNSET_ZENITH, rising=True)
    assert isinstance(moment, datetime)
    assert _minutes_from(moment, day, sunrise_at) <= 2


@pytest.mark.parametrize(
    ("place", "day", "dawn_at", "dusk_at"),
    [
        # Civil twilight (sun 6 degrees down): London's published 16:33 dusk in midwinter;
        # at midsummer 03:55-22:09 BST (worked by hand from the same equations: the hour
        # angle at 96 degrees zenith is 136.7 degrees, 9 h 07 min either side of 13:02 BST).
        (LONDON, MIDWINTER, "07:24", "16:33"),
        (LONDON, MIDSUMMER, "03:55", "22:09"),
        (WELWYN, MIDWINTER, "07:25", "16:32"),
    ],
)
def test_civil_dawn_and_dusk_within_three_minutes(place, day, dawn_at, dusk_at):
    span = light_span(place, day)
    assert span is not None
    dawn, dusk = span
    assert _minutes_from(dawn, day, dawn_at) <= 3
    assert _minutes_from(dusk, day, dusk_at) <= 3
    # civil twilight lasts about 40 min after a London sunset in December, 48 in June
    set_at = sunset(place, day)
    assert set_at is not None
    after_sunset = (dusk - set_at).total_seconds() / 60
    assert (35 <= after_sunset <= 45) if day == MIDWINTER else (43 <= after_sunset <= 53)


def test_a_shetland_midsummer_night_is_never_dark():
    span = light_span(UNST, MIDSUMMER)
    assert span == (at_local(MIDSUMMER), at_local(MIDSUMMER + timedelta(days=1)))
    night = (at_local(MIDSUMMER, 22), at_local(MIDSUMMER + timedelta(days=1), 4))
    assert in_light(UNST, *night)
    assert not in_light(LONDON, *night)


def test_the_light_of_a_winter_evening_and_the_next_morning_are_two_spans():
    start, end = at_local(MIDWINTER, 15), at_local(MIDWINTER + timedelta(days=1), 9)
    spans = light_spans(LONDON, start, end)
    assert len(spans) == 2
    (a0, a1), (b0, b1) = spans
    assert a0 == start and local(a1).strftime("%H") == "16"  # until dusk
    assert local(b0).strftime("%H") == "07" and b1 == end  # from dawn


def test_light_window_trims_a_winter_dose_to_end_before_dusk():
    """A 16:00 dose ±30 min lasting 30 min, dusk 16:33: it may start 15:30–16:03, so that
    the nurse has left by dusk; whole minutes (its end rounded down)."""
    got = light_window(LONDON, at_local(MIDWINTER, 15, 30), at_local(MIDWINTER, 16, 30), 30)
    assert got is not None
    lo, hi = got
    assert lo == at_local(MIDWINTER, 15, 30)
    assert hi.second == 0 and _minutes_from(hi, MIDWINTER, "16:03") <= 1
    assert in_light(LONDON, hi, hi + timedelta(minutes=30))
    assert not in_light(LONDON, hi + timedelta(minutes=2), hi + timedelta(minutes=32))


def test_light_window_trims_an_early_morning_window_to_start_after_dawn():
    got = light_window(LONDON, at_local(MIDWINTER, 7, 0), at_local(MIDWINTER, 8, 0), 20)
    assert got is not None
    lo, hi = got
    assert lo.second == 0 and _minutes_from(lo, MIDWINTER, "07:24") <= 2
    assert hi == at_local(MIDWINTER, 8, 0)


def test_light_window_is_none_for_a_night_dose():
    assert light_window(LONDON, at_local(MIDWINTER, 21, 30), at_local(MIDWINTER, 22, 30), 30) is None
    # in June the same dose is partly in the light: 21:30 to about 21:39 still ends by 22:09
    june = light_window(LONDON, at_local(MIDSUMMER, 21, 30), at_local(MIDSUMMER, 22, 30), 30)
    assert june is not None and june[0] == at_local(MIDSUMMER, 21, 30)
