"""The benchmark baselines: a coordinator's greedy run and the VROOM adapter.

Every rota they produce goes through the independent checker. The greedy baseline honours every
rule, so its rotas must check clean; VROOM cannot synchronise double-handed visits nor keep
minimum gaps, so its rotas may break exactly those two rules (``sync``, ``gap``) and no other.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from benchmarks.baseline_greedy import solve_greedy
from scheduler.domain.check import check
from scheduler.domain.model import Problem, Reason, Rota
from scheduler.domain.problem import build_problem
from scheduler.domain.synth import generate_service, service_day_visits
from scheduler.domain.travel import Geodesic
from tests.support.factories import make_problem, shift, visit

D = date(2026, 11, 23)


@pytest.fixture(scope="module")
def small_day() -> Problem:
    """A synthetic Hertfordshire day of about 60 visits (14 patients)."""
    service = generate_service(14, 2026, D)
    return build_problem(service_day_visits(service, D), service.shifts, Geodesic())


def accounted(problem: Problem, rota: Rota) -> None:
    """Every visit is placed (on ``staff`` different routes) or unassigned, exactly once."""
    placed = Counter(vid for r in rota.routes for vid in r.visit_ids)
    out = [u.visit_id for u in rota.unassigned]
    assert len(out) == len(set(out))
    assert not set(placed) & set(out)
    assert set(placed) | set(out) == {v.visit_id for v in problem.visits}
    for v in problem.visits:
        if v.visit_id in placed:
            assert placed[v.visit_id] == v.staff


def attendants(rota: Rota, vid: str) -> list[str]:
    return [r.clinician_id for r in rota.routes if vid in r.visit_ids]


def starts(rota: Rota, vid: str) -> set:
    return {s.start for r in rota.routes for s in r.stops if s.visit_id == vid}


def rules_day() -> Problem:
    """Every rule at once on a grid: a pin, max_visits, a double-handed visit, a minimum gap,
    skills, breaks, and more work than two of the three nurses can do."""
    return make_problem(
        [
            visit("PIN", 4, 0, "08:00", "09:00", pinned_clinician="N2"),
            visit("IV1", 1, 1, "08:00", "08:30", skills=("IV",), priority=1),
            visit("ON", 2, 2, "08:30", "09:30", skills=("IV",)),
            visit("OFF", 2, 2, "09:00", "16:00", skills=("IV",), after_visit="ON", min_gap_min=240),
            visit("DH", 3, 1, "10:00", "11:00", staff=2, duration=45),
            visit("A", 0, 2, "09:00", "12:00"),
            visit("B", 1, 3, "09:00", "12:00", priority=3),
            visit("C", 3, 3, "11:00", "14:00"),
            visit("E", 5, 5, "13:00", "15:00", priority=1),
            visit("X", 1, 0, "08:00", "10:00", skills=("PICC",)),  # nobody holds PICC
        ],
        [
            shift("N1", "07:30", "17:00", brk=(30, "12:00", "13:30")),
            shift("N2", "07:30", "17:00", brk=(30, "11:00", "14:00"), max_visits=3),
            shift("N3", "07:30", "15:00", skills=("OBS",), brk=(30, "11:00", "13:00")),
        ],
    )


# --- the greedy baseline --------------------------------------------------------------------


def test_greedy_on_a_synthetic_day_checks_clean(small_day):
    """The coordinator's run on a real-looking day: zero violations, most visits placed."""
    rota = solve_greedy(small_day)
    report = check(small_day, rota)
    assert report.violations == (), [str(v) for v in report.violations]
    accounted(small_day, rota)
    assert report.kpis["visits_assigned"] >= 0.7 * report.kpis["visits_total"]


def test_greedy_honours_every_rule():
    """Pin, max_visits, double-handed at one minute, the gap after its predecessor, breaks."""
    p = rules_day()
    rota = solve_greedy(p)
    report = check(p, rota)
    assert report.violations == (), [str(v) for v in report.violations]
    accounted(p, rota)
    assert attendants(rota, "PIN") == ["N2"]
    dh = attendants(rota, "DH")
    assert len(dh) == 2 and len(set(dh)) == 2 and len(starts(rota, "DH")) == 1
    n2 = rota.route_of("N2")
    assert n2 is not None and len(n2.visit_ids) <= 3
    out = {u.visit_id: u.code for u in rota.unassigned}
    assert out.get("X") == Reason.NO_QUALIFIED
    if "OFF" not in out:
        on_end = max(s.end for r in rota.routes for s in r.stops if s.visit_id == "ON")
        assert min(starts(rota, "OFF")) >= on_end + timedelta(minutes=240)


def test_greedy_appends_in_window_order_without_resequencing():
    """Two visits for one nurse: the later window comes later in her route, even when the other
    order would drive less (a coordinator does not go back and re-sequence)."""
    p = make_problem(
        [visit("FIRST", 5, 0, "08:00", "12:00"), visit("SECOND", 1, 0, "08:30", "12:00")],
        [shift("N1", "07:30", "15:00")],
    )
    rota = solve_greedy(p)
    assert check(p, rota).violations == ()
    n1 = rota.route_of("N1")
    assert n1 is not None and n1.visit_ids == ("FIRST", "SECOND")


def test_greedy_leaves_a_follower_out_when_its_predecessor_is_out():
    """No IV-trained nurse: the connection is out, and so is its disconnection, with a reason."""
    p = make_problem(
        [
            visit("ON", 1, 1, "08:00", "09:00", skills=("IV",)),
            visit("OFF", 1, 1, "12:00", "14:00", after_visit="ON", min_gap_min=180),
        ],
        [shift("N1", "07:30", "15:00", skills=("OBS",))],
    )
    rota = solve_greedy(p)
    assert check(p, rota).violations == ()
    out = {u.visit_id: u.code for u in rota.unassigned}
    assert out == {"ON": Reason.NO_QUALIFIED, "OFF": Reason.PRECEDING_UNPLACED}


@st.composite
def random_days(draw) -> Problem:
    n_shifts = draw(st.integers(1, 4))
    shifts = []
    for k in range(n_shifts):
        start = draw(st.sampled_from(["07:00", "08:00", "14:00"]))
        end = {"07:00": "15:00", "08:00": "20:00", "14:00": "22:00"}[start]
        brk = draw(st.sampled_from([None, (30, "11:00", "13:30"), (60, "17:00", "19:00")]))
        if brk and not (start < brk[1] < end):
            brk = None
        shifts.append(
            shift(
                f"N{k}",
                start,
                end,
                base=(draw(st.integers(0, 6)), draw(st.integers(0, 6))),
                skills=draw(st.sampled_from([("RN", "IV", "OBS"), ("OBS",)])),
                brk=brk,
                max_visits=draw(st.sampled_from([None, None, 2, 4])),
            )
        )
    visits = []
    for i in range(draw(st.integers(1, 12))):
        h = draw(st.integers(7, 19))
        width = draw(st.sampled_from([0, 30, 60, 120]))
        end_min = h * 60 + width
        kw: dict[str, Any] = {}
        if i and draw(st.booleans()) and draw(st.booleans()):
            kw = {"after_visit": f"V{draw(st.integers(0, i - 1))}", "min_gap_min": 60}
        visits.append(
            visit(
                f"V{i}",
                draw(st.integers(0, 6)),
                draw(st.integers(0, 6)),
                f"{h:02d}:00",
                f"{end_min // 60:02d}:{end_min % 60:02d}",
                duration=draw(st.sampled_from([15, 30, 45])),
                skills=draw(st.sampled_from([(), ("IV",)])),
                staff=draw(st.sampled_from([1, 1, 1, 2])),
                priority=draw(st.integers(1, 3)),
                pinned_clinician=draw(st.sampled_from([None, None, None, "N0", "N9"])),
                **kw,
            )
        )
    return make_problem(visits, shifts)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(random_days())
def test_greedy_never_breaks_a_rule(problem):
    """Whatever the day, the greedy rota checks clean and accounts for every visit."""
    rota = solve_greedy(problem)
    report = check(problem, rota)
    assert report.violations == (), [str(v) for v in report.violations]
    accounted(problem, rota)


# --- the VROOM adapter ----------------------------------------------------------------------


def vroom_rota(problem: Problem, seconds: float = 1.0) -> Rota:
    pytest.importorskip("vroom", reason="pyvroom is not installed (pip install pyvroom==1.15.2)")
    from benchmarks.hah_vroom import solve_vroom

    return solve_vroom(problem, seconds)


def only_unmodelled(problem: Problem, rota: Rota) -> Counter:
    """Violation kinds of a VROOM rota; anything but ``sync``/``gap`` fails the test."""
    from benchmarks.hah_vroom import UNMODELLED_RULES

    report = check(problem, rota)
    kinds = Counter(v.rule for v in report.violations)
    assert set(kinds) <= UNMODELLED_RULES, [
        str(v) for v in report.violations if v.rule not in UNMODELLED_RULES
    ]
    return kinds


def test_vroom_on_a_synthetic_day_breaks_only_what_it_cannot_model(small_day):
    rota = vroom_rota(small_day)
    only_unmodelled(small_day, rota)
    accounted(small_day, rota)
    assert check(small_day, rota).kpis["visits_assigned"] >= 0.7 * len(small_day.visits)


def test_vroom_keeps_pins_skills_max_visits_and_breaks():
    p = rules_day()
    rota = vroom_rota(p)
    only_unmodelled(p, rota)
    accounted(p, rota)
    assert attendants(rota, "PIN") == ["N2"]
    assert "X" not in rota.assigned_visit_ids
    n2 = rota.route_of("N2")
    assert n2 is not None and len(n2.visit_ids) <= 3
    for r in rota.routes:
        assert sum(s.kind == "break" for s in r.stops) == 1


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(random_days())
def test_vroom_never_breaks_a_rule_it_was_given(problem):
    pytest.importorskip("vroom", reason="pyvroom is not installed")
    from benchmarks.hah_vroom import solve_vroom

    rota = solve_vroom(problem, 0.2)
    only_unmodelled(problem, rota)
    accounted(problem, rota)


# --- the VRPTW peers --------------------------------------------------------------------------


@pytest.mark.parametrize("peer", ["pyvrp", "vroom"])
def test_vrptw_peers_return_feasible_routes(tmp_path, peer):
    """PyVRP and VROOM on a tiny Solomon-layout instance: feasible in double precision, and
    the distance is recomputed from their routes, not taken from them."""
    pytest.importorskip({"pyvrp": "pyvrp", "vroom": "vroom"}[peer], reason=f"{peer} not installed")
    from benchmarks import peers
    from benchmarks.engines.vrptw import feasibility_errors, read_solomon, route_distance
    from tests.support.vrptw import write_instance

    inst = read_solomon(write_instance(tmp_path / "tiny.txt", seed=2))
    solve = peers.solve_pyvrp if peer == "pyvrp" else peers.solve_vroom
    result = solve(inst, 0.5)
    assert feasibility_errors(inst, result.routes) == []
    assert result.distance == pytest.approx(route_distance(inst, result.routes))
