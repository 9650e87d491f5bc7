"""The service's clock (``scheduler.domain.localtime``): local wall-clock time in and out,
aware UTC moments inside, and the two clock-change nights of 2026 in Europe/London."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from scheduler.domain.localtime import (
    LocalTimeError,
    at_local,
    contract_text,
    from_local,
    hm,
    local,
    local_midnight,
    parse_contract,
    stamp,
    utc,
)
from tests.support.factories import MARCH_EVE, OCTOBER_EVE


def test_a_night_across_each_clock_change_is_its_real_length():
    """21:00 → 07:30 local: 690 min in October, 570 in March, 630 on any other night."""
    for eve, minutes in ((OCTOBER_EVE, 690), (MARCH_EVE, 570), (date(2026, 11, 23), 630)):
        morning = eve + timedelta(days=1)
        start = from_local(datetime(eve.year, eve.month, eve.day, 21))
        end = from_local(datetime(morning.year, morning.month, morning.day, 7, 30))
        assert (end - start) / timedelta(minutes=1) == minutes
        assert at_local(eve, 31, 30) - at_local(eve, 21) == end - start


def test_moments_are_utc():
    """What comes in is aware and in UTC, so every difference is elapsed time."""
    moment = from_local(datetime(2026, 7, 23, 9, 30))
    assert moment.tzinfo is UTC and moment == datetime(2026, 7, 23, 8, 30, tzinfo=UTC)
    assert from_local(datetime(2026, 11, 23, 9, 30)) == datetime(2026, 11, 23, 9, 30, tzinfo=UTC)


def test_a_time_the_clocks_skip_is_refused():
    with pytest.raises(LocalTimeError, match="does not exist in Europe/London"):
        from_local(datetime(2026, 3, 29, 1, 30))
    with pytest.raises(LocalTimeError):
        from_local(datetime(2026, 3, 29, 1, 30), fold=1)  # fold cannot make it exist
    assert from_local(datetime(2026, 3, 29, 2, 0)) == datetime(2026, 3, 29, 1, 0, tzinfo=UTC)
    assert from_local(datetime(2026, 3, 29, 0, 59)) == datetime(2026, 3, 29, 0, 59, tzinfo=UTC)


def test_a_time_the_clocks_repeat_needs_an_offset_or_a_fold():
    naive = datetime(2026, 10, 25, 1, 30)
    with pytest.raises(LocalTimeError, match="happens twice") as err:
        from_local(naive)
    assert "2026-10-25T01:30+01:00" in str(err.value) and "2026-10-25T01:30+00:00" in str(err.value)
    first, second = from_local(naive, fold=0), from_local(naive, fold=1)
    assert (first, second) == (datetime(2026, 10, 25, 0, 30, tzinfo=UTC),
                               datetime(2026, 10, 25, 1, 30, tzinfo=UTC))  # fmt: skip
    assert parse_contract("2026-10-25T01:30+01:00") == first
    assert parse_contract("2026-10-25T01:30+00:00") == second
    assert parse_contract("2026-10-25T01:30Z") == second


def test_the_contract_writes_an_offset_only_where_the_local_time_is_ambiguous():
    assert contract_text(parse_contract("2026-11-23T09:30")) == "2026-11-23T09:30"
    assert contract_text(parse_contract("2026-07-23T09:30")) == "2026-07-23T09:30"
    assert contract_text(parse_contract("2026-10-25T00:59")) == "2026-10-25T00:59"
    assert contract_text(parse_contract("2026-10-25T01:00+01:00")) == "2026-10-25T01:00+01:00"
    assert contract_text(parse_contract("2026-10-25T01:59+00:00")) == "2026-10-25T01:59+00:00"
    assert contract_text(parse_contract("2026-10-25T02:00")) == "2026-10-25T02:00"
    assert contract_text(parse_contract("2026-03-29T02:00")) == "2026-03-29T02:00"
    # Every minute of both nights reads back as the moment it was written from.
    for eve in (OCTOBER_EVE, MARCH_EVE):
        t = at_local(eve, 21)
        while t < at_local(eve, 31, 30):
            assert parse_contract(contract_text(t)) == t
            assert parse_contract(stamp(t)) == t
            t += timedelta(minutes=1)


def test_people_read_local_time():
    first, second = parse_contract("2026-10-25T01:15+01:00"), parse_contract("2026-10-25T01:15Z")
    assert hm(first) == hm(second) == "01:15"
    assert local(second).utcoffset() == timedelta(0)
    assert local(first).utcoffset() == timedelta(hours=1)
    assert hm(parse_contract("2026-07-23T09:30")) == "09:30"
    assert stamp(parse_contract("2026-07-23T09:30")) == "2026-07-23T09:30:00+01:00"
    assert hm(datetime(2026, 7, 23, 9, 30)) == "09:30"  # naive: taken as local already


def test_at_local_never_refuses():
    """For generators: a repeated time is its first, a skipped one lands after the change."""
    assert at_local(OCTOBER_EVE, 25, 30) == parse_contract("2026-10-25T01:30+01:00")
    assert at_local(OCTOBER_EVE, 25, 30, fold=1) == parse_contract("2026-10-25T01:30+00:00")
    assert hm(at_local(MARCH_EVE, 25, 30)) == "02:30"
    assert local_midnight(at_local(OCTOBER_EVE, 31, 30)) == at_local(date(2026, 10, 25))


def test_a_naive_moment_is_not_utc():
    with pytest.raises(ValueError, match="no time zone"):
        utc(datetime(2026, 11, 23, 9, 30))
    assert utc(parse_contract("2026-07-23T09:30+01:00")).hour == 8
