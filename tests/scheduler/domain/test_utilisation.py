"""Utilisation has one definition: visiting and driving over the paid time of everyone on
duty. The checker's figure follows it, an idle shift lowers it, and waiting does not count."""

from __future__ import annotations

import pytest

from scheduler.domain.check import check
from scheduler.domain.model import Rota
from scheduler.domain.retime import retime
from scheduler.domain.utilisation import paid_minutes, utilisation
from tests.support.factories import make_problem, shift, visit


def test_paid_time_is_the_shift_less_its_unpaid_break():
    assert paid_minutes(shift("N1", "08:00", "16:00", brk=(30, "12:00", "13:00"))) == 450
    assert utilisation(0, 0, 0) is None


def test_the_checkers_utilisation_counts_an_idle_shift_and_not_waiting():
    """N1 drives 3 min to A (30 min), waits, then B 3 min on (30 min) and 6 min home, on a
    480-minute shift; N2 is on duty and idle. Utilisation = (60 + 12) / 960."""
    problem = make_problem(
        [visit("A", 1, 0, "09:00", "10:00"), visit("B", 2, 0, "11:00", "12:00")],
        [shift("N1", "08:00", "16:00"), shift("N2", "08:00", "16:00")],
    )
    rota = retime(problem, Rota((), ()), {"N1": ["A", "B"]})
    report = check(problem, rota)
    assert report.ok
    assert report.kpis["visit_min_total"] == 60 and report.kpis["travel_min_total"] == 12
    assert report.kpis["utilisation"] == pytest.approx((60 + 12) / 960)
