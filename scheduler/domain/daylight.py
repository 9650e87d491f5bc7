"""When it is dark at a patient's home: civil dawn and dusk from the NOAA solar equations.

A patient flagged ``no_lone_after_dark`` (a lone-working risk assessment) is not visited by
one nurse alone after dark. "Dark" is *civil* twilight's end: the sun 6° below the horizon,
when street-lit roads are fine but a garden path, a stairwell or an unlit lane is not, and
the standard most lone-working policies use ("lighting-up time" is sunset's older cousin).

Computed offline, from the date and the place alone, with the equations of NOAA's solar
calculator (Meeus, *Astronomical Algorithms*, as NOAA's Global Monitoring Laboratory
publishes them): accurate to about a minute at UK latitudes, far inside the half-hour margins
a care plan works in. Each event is computed twice, the second time with the sun's position
at the first estimate, which takes out the drift of the declination over half a day.

Near midsummer in Shetland the sun never sinks 6° below the horizon: that night is not dark
at all (``light_span`` covers the whole local day). Nowhere in the UK is it dark all day, but
the code says what happens (``None``: no light) rather than assume it.

Moments are aware UTC ``datetime`` values like every moment of the domain; a "date" is the
local (Europe/London) calendar date, whose dawn and dusk are those of that morning and
evening.
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta
from typing import Literal

from scheduler.domain.localtime import at_local, local
from scheduler.domain.model import Location

#: The sun's zenith angle at civil dawn and dusk (6° below the horizon), and at sunrise and
#: sunset (its upper limb on the horizon: 50' of refraction and semi-diameter).
CIVIL_ZENITH = 96.0
SUNSET_ZENITH = 90.833

_J2000 = 2451545.0
_UNIX_EPOCH_JD = 2440587.5

Span = tuple[datetime, datetime]


def _julian_day(moment: datetime) -> float:
    return moment.timestamp() / 86400.0 + _UNIX_EPOCH_JD


def _sun(jd: float) -> tuple[float, float]:
    """The sun's declination (degrees) and the equation of time (minutes) at Julian day
    ``jd`` (NOAA's spreadsheet, column by column)."""
    t = (jd - _J2000) / 36525.0
    mean_long = (280.46646 + t * (36000.76983 + t * 0.0003032)) % 360.0
    mean_anom = 357.52911 + t * (35999.05029 - 0.0001537 * t)
    ecc = 0.016708634 - t * (0.000042037 + 0.0000001267 * t)
    m = math.radians(mean_anom)
    centre = (
        math.sin(m) * (1.914602 - t * (0.004817 + 0.000014 * t))
        + math.sin(2 * m) * (0.019993 - 0.000101 * t)
        + math.sin(3 * m) * 0.000289
    )
    omega = math.radians(125.04 - 1934.136 * t)
    apparent = math.radians(mean_long + centre - 0.00569 - 0.00478 * math.sin(omega))
    mean_obliq = 23.0 + (26.0 + (21.448 - t * (46.815 + t * (0.00059 - t * 0.001813))) / 60) / 60
    obliq = math.radians(mean_obliq + 0.00256 * math.cos(omega))
    decl = math.degrees(math.asin(math.sin(obliq) * math.sin(apparent)))
    y = math.tan(obliq / 2) ** 2
    l0 = math.radians(mean_long)
    eq_time = 4 * math.degrees(
        y * math.sin(2 * l0)
        - 2 * ecc * math.sin(m)
        + 4 * ecc * y * math.sin(m) * math.cos(2 * l0)
        - 0.5 * y * y * math.sin(4 * l0)
        - 1.25 * ecc * ecc * math.sin(2 * m)
    )
    return decl, eq_time


def sun_event(
    place: Location, day: date, zenith: float, *, rising: bool
) -> datetime | Literal["above", "below"]:
    """The moment on local date ``day`` when the sun passes ``zenith`` degrees at ``place``,
    going up (``rising``) or down; or ``"above"`` / ``"below"`` when it stays on one side
    of that angle all day."""
    midnight = datetime(day.year, day.month, day.day, tzinfo=UTC)
    minutes = 720.0 - 4 * place.lon  # a first guess: solar noon
    lat = math.radians(place.lat)
    for _ in range(2):
        decl, eq_time = _sun(_julian_day(midnight + timedelta(minutes=minutes)))
        d = math.radians(decl)
        cos_h = (math.cos(math.radians(zenith)) - math.sin(lat) * math.sin(d)) / (
            math.cos(lat) * math.cos(d)
        )
        if cos_h > 1:
            return "below"
        if cos_h < -1:
            return "above"
        hour_angle = math.degrees(math.acos(cos_h))
        noon = 720.0 - 4 * place.lon - eq_time
        minutes = noon - 4 * hour_angle if rising else noon + 4 * hour_angle
    return midnight + timedelta(minutes=minutes)


def sunset(place: Location, day: date) -> datetime | None:
    """Sunset on local date ``day`` (``None`` when the sun does not set or rise that day)."""
    event = sun_event(place, day, SUNSET_ZENITH, rising=False)
    return event if isinstance(event, datetime) else None


def light_span(place: Location, day: date) -> Span | None:
    """From civil dawn to civil dusk of local date ``day`` at ``place``: when a visit is not
    "after dark". The whole local day when it never gets dark; ``None`` if it never gets
    light."""
    dawn = sun_event(place, day, CIVIL_ZENITH, rising=True)
    dusk = sun_event(place, day, CIVIL_ZENITH, rising=False)
    if isinstance(dawn, datetime) and isinstance(dusk, datetime):
        return dawn, dusk
    if dawn == "above":
        return at_local(day), at_local(day + timedelta(days=1))
    return None


def light_spans(place: Location, start: datetime, end: datetime) -> list[Span]:
    """The light between ``start`` and ``end`` at ``place``, as disjoint spans in time order
    (clipped to ``[start, end]``; the light of consecutive days with no dark night between
    them is one span)."""
    spans: list[Span] = []
    day = local(start).date() - timedelta(days=1)
    while day <= local(end).date():
        span = light_span(place, day)
        day += timedelta(days=1)
        if span is None:
            continue
        a, b = max(span[0], start), min(span[1], end)
        if a > b:
            continue
        if spans and spans[-1][1] >= a:
            spans[-1] = (spans[-1][0], max(spans[-1][1], b))
        else:
            spans.append((a, b))
    return spans


def in_light(place: Location, start: datetime, end: datetime) -> bool:
    """Is it light at ``place`` all the way from ``start`` to ``end``?"""
    return any(a <= start and end <= b for a, b in light_spans(place, start, end))


def light_window(place: Location, start: datetime, end: datetime, duration_min: int) -> Span | None:
    """The earliest part of the window ``[start, end]`` (when a visit may *start*) in which a
    visit of ``duration_min`` starts and ends in the light at ``place``, in whole minutes
    (its start rounded up, its end down, as the contract's files write times); ``None`` when
    no start in the window keeps the whole visit in the light."""
    length = timedelta(minutes=duration_min)
    for a, b in light_spans(place, start, end + length):
        lo, hi = _minute_up(max(a, start)), _minute_down(min(b - length, end))
        if lo <= hi:
            return lo, hi
    return None


def _minute_up(moment: datetime) -> datetime:
    down = _minute_down(moment)
    return down if down == moment else down + timedelta(minutes=1)


def _minute_down(moment: datetime) -> datetime:
    return moment.replace(second=0, microsecond=0)
