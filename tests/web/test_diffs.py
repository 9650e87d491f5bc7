"""``web.services.diffs.diff_rotas``: each kind of change on small hand-built rotas, pairs,
and the real small test day."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime, timedelta

import pytest

from scheduler.domain.model import Location, Reason, Rota, Route, Stop, Unassigned, Visit, Window
from tests.support.web import DATA
from web.services.diffs import diff_json, diff_rotas, shift_words

T0 = datetime(2026, 11, 23)


def at(h: int, m: int = 0, s: int = 0) -> datetime:
    return T0.replace(hour=h, minute=m, second=s)


def visit(vid: str, staff: int = 1) -> Visit:
    return Visit(vid, "P" + vid[1:], Location(51.7, -0.3), Window(at(7), at(20)), 30, staff=staff)


VISITS = [visit("V1"), visit("V2", staff=2), visit("V3"), visit("V4")]


def stop(vid: str, start: datetime) -> Stop:
    return Stop("visit", vid, start, start, start + timedelta(minutes=30), 0)


def route(cid: str, *stops: Stop) -> Route:
    return Route(cid, tuple(stops))


def rota(*routes: Route, unassigned: tuple[str, ...] = ()) -> Rota:
    return Rota(
        tuple(routes),
        tuple(Unassigned(v, f"no room for {v}", Reason.CAPACITY) for v in unassigned),
    )


BASE = rota(
    route("C1", stop("V1", at(9)), stop("V2", at(11))),
    route("C2", stop("V2", at(11)), stop("V4", at(14))),
    unassigned=("V3",),
)


def test_identical_rotas_give_an_empty_diff():
    d = diff_rotas(BASE, BASE, VISITS)
    assert d.empty and d.changes == () and d.clinicians == ()
    assert d.summary.changed == 0 and d.summary.unchanged == 4
    assert d.summary.assigned_old == d.summary.assigned_new == 3


def test_route_order_meta_and_break_stops_do_not_count_as_changes():
    same = Rota(
        (
            route("C2", stop("V2", at(11)), Stop("break", None, at(12), at(12), at(12, 30), 0),
                  stop("V4", at(14))),
            route("C1", stop("V1", at(9)), stop("V2", at(11))),
        ),
        BASE.unassigned,
        {"solver": "other", "seconds": 3},
    )  # fmt: skip
    assert diff_rotas(BASE, same, VISITS).empty


def test_a_visit_added_to_the_plan():
    new = rota(
        route("C1", stop("V1", at(9)), stop("V2", at(11))),
        route("C2", stop("V2", at(11)), stop("V4", at(14)), stop("V3", at(16))),
    )
    d = diff_rotas(BASE, new, VISITS)
    assert [(c.visit_id, c.kinds) for c in d.changes] == [("V3", ("added",))]
    c = d.changes[0]
    assert c.patient_id == "P3" and c.old_clinicians == () and c.new_clinicians == ("C2",)
    assert c.old_start is None and c.new_start == at(16) and c.shift_min is None
    assert [x.clinician_id for x in d.clinicians] == ["C2"]
    gain = d.clinicians[0].gains[0]
    assert (gain.visit_id, gain.new_start, gain.unassigned) == ("V3", at(16), True)
    assert d.clinicians[0].losses == () and d.clinicians[0].retimed == ()
    assert d.summary.added == 1 and d.summary.changed == 1 and d.summary.assigned_new == 4
    assert "added for C2 at 16:00" in c.describe()


def test_a_visit_dropped_is_now_unassigned_with_its_reason():
    new = rota(
        route("C1", stop("V2", at(11))),
        route("C2", stop("V2", at(11)), stop("V4", at(14))),
        unassigned=("V3", "V1"),
    )
    d = diff_rotas(BASE, new, VISITS)
    assert [(c.visit_id, c.kinds) for c in d.changes] == [("V1", ("dropped",))]
    c = d.changes[0]
    assert c.reason == "no room for V1" and c.new_clinicians == () and c.old_start == at(9)
    loss = d.for_clinician("C1").losses[0]
    assert (loss.visit_id, loss.old_start, loss.new_start, loss.unassigned) == (
        "V1", at(9), None, True)  # fmt: skip
    assert d.for_clinician("C2") is None
    assert d.summary.dropped == 1 and d.summary.assigned_new == 2
    assert "now unassigned: no room for V1" in c.describe()


def test_a_visit_gone_from_the_plan_altogether_is_dropped_too():
    new = rota(route("C1", stop("V2", at(11))), route("C2", stop("V2", at(11)),
               stop("V4", at(14))), unassigned=("V3",))  # fmt: skip
    d = diff_rotas(BASE, new, VISITS)
    assert [(c.visit_id, c.kinds, c.reason) for c in d.changes] == [("V1", ("dropped",), "")]


def test_a_visit_moved_to_another_clinician_at_the_same_time():
    new = rota(
        route("C1", stop("V2", at(11))),
        route("C2", stop("V1", at(9)), stop("V2", at(11)), stop("V4", at(14))),
        unassigned=("V3",),
    )
    d = diff_rotas(BASE, new, VISITS)
    assert [(c.visit_id, c.kinds) for c in d.changes] == [("V1", ("moved",))]
    assert d.changes[0].shift_min == 0
    c1, c2 = d.for_clinician("C1"), d.for_clinician("C2")
    assert [(x.visit_id, x.others, x.unassigned) for x in c1.losses] == [("V1", ("C2",), False)]
    assert [(x.visit_id, x.others, x.unassigned) for x in c2.gains] == [("V1", ("C1",), False)]
    assert c1.gains == c1.retimed == c2.losses == c2.retimed == ()
    assert d.summary.moved == 1 and d.summary.retimed == 0 and d.summary.clinicians_affected == 2
    assert d.changes[0].describe() == "V1 moved from C1 to C2"


def test_a_visit_re_timed_says_by_how_much():
    new = rota(
        route("C1", stop("V1", at(9, 15)), stop("V2", at(11))),
        route("C2", stop("V2", at(11)), stop("V4", at(12, 50))),
        unassigned=("V3",),
    )
    d = diff_rotas(BASE, new, VISITS)
    assert [(c.visit_id, c.kinds, c.shift_min) for c in d.changes] == [
        ("V1", ("retimed",), 15), ("V4", ("retimed",), -70)]  # fmt: skip
    assert [(x.visit_id, x.old_start, x.new_start, x.shift_min)
            for x in d.for_clinician("C1").retimed] == [("V1", at(9), at(9, 15), 15)]  # fmt: skip
    assert d.for_clinician("C2").retimed[0].shift_min == -70
    assert d.for_clinician("C1").gains == d.for_clinician("C1").losses == ()
    assert d.summary.retimed == 2 and d.summary.moved == 0
    assert d.changes[0].describe() == "V1 15 min later (09:15)"
    assert d.changes[1].describe() == "V4 1 h 10 min earlier (12:50)"


def test_less_than_a_minute_is_not_a_re_timing():
    new = rota(
        route("C1", stop("V1", at(9, 0, 40)), stop("V2", at(11))),
        route("C2", stop("V2", at(11)), stop("V4", at(14))),
        unassigned=("V3",),
    )
    assert diff_rotas(BASE, new, VISITS).empty
    one = rota(route("C1", stop("V1", at(8, 59)), stop("V2", at(11))), BASE.routes[1],
               unassigned=("V3",))  # fmt: skip
    assert diff_rotas(BASE, one, VISITS).changes[0].shift_min == -1


def test_a_visit_moved_and_re_timed():
    new = rota(
        route("C1", stop("V2", at(11))),
        route("C2", stop("V2", at(11)), stop("V4", at(14)), stop("V1", at(15, 30))),
        unassigned=("V3",),
    )
    d = diff_rotas(BASE, new, VISITS)
    c = d.changes[0]
    assert len(d.changes) == 1 and c.kinds == ("moved", "retimed") and c.shift_min == 390
    assert d.for_clinician("C1").losses[0].old_start == at(9)
    assert d.for_clinician("C2").gains[0].new_start == at(15, 30)
    assert d.for_clinician("C2").retimed == ()  # she did not have it before
    assert d.summary.moved == d.summary.retimed == d.summary.changed == 1
    assert c.describe() == "V1 moved from C1 to C2, 6 h 30 min later (15:30)"


def test_a_pair_compares_the_set_of_its_clinicians():
    # C1+C2 → C1+C3 at the same time: only C2 (loses) and C3 (gains) are affected
    new = rota(
        route("C1", stop("V1", at(9)), stop("V2", at(11))),
        route("C2", stop("V4", at(14))),
        route("C3", stop("V2", at(11))),
        unassigned=("V3",),
    )
    d = diff_rotas(BASE, new, VISITS)
    c = d.changes[0]
    assert len(d.changes) == 1 and c.visit_id == "V2" and c.kinds == ("moved",)
    assert c.old_clinicians == ("C1", "C2") and c.new_clinicians == ("C1", "C3")
    assert [x.clinician_id for x in d.clinicians] == ["C2", "C3"]
    assert d.for_clinician("C2").losses[0].others == ("C3",)
    assert d.for_clinician("C3").gains[0].others == ("C2",)
    assert c.describe() == "V2 moved from C1 and C2 to C1 and C3"


def test_a_pair_moved_and_re_timed_tells_the_partner_who_keeps_it():
    new = rota(
        route("C1", stop("V1", at(9)), stop("V2", at(12))),
        route("C2", stop("V4", at(14))),
        route("C3", stop("V2", at(12))),
        unassigned=("V3",),
    )
    d = diff_rotas(BASE, new, VISITS)
    assert d.changes[0].kinds == ("moved", "retimed") and d.changes[0].shift_min == 60
    kept = d.for_clinician("C1").retimed
    assert [(x.visit_id, x.shift_min, x.others) for x in kept] == [("V2", 60, ("C3",))]
    assert d.for_clinician("C3").gains[0].new_start == at(12)
    assert d.summary.clinicians_affected == 3


def test_a_pair_dropped_is_lost_by_both():
    new = rota(route("C1", stop("V1", at(9))), route("C2", stop("V4", at(14))),
               unassigned=("V3", "V2"))  # fmt: skip
    d = diff_rotas(BASE, new, VISITS)
    assert [(c.visit_id, c.kinds) for c in d.changes] == [("V2", ("dropped",))]
    assert d.summary.dropped == 1 and d.summary.clinicians_affected == 2
    assert all(x.losses[0].unassigned for x in d.clinicians)


def test_swapping_the_order_of_a_pair_is_no_move():
    new = rota(BASE.routes[1], BASE.routes[0], unassigned=("V3",))
    assert diff_rotas(BASE, new, VISITS).empty


def test_changes_are_in_time_order_and_grouped_per_clinician():
    new = rota(
        route("C1", stop("V3", at(8)), stop("V2", at(11))),  # gains V3, loses V1
        route("C2", stop("V2", at(11)), stop("V4", at(14, 10))),  # V4 re-timed
        unassigned=("V1",),
    )
    d = diff_rotas(BASE, new, VISITS)
    assert [c.visit_id for c in d.changes] == ["V3", "V1", "V4"]  # 08:00, (09:00), 14:10
    s = d.summary
    assert (s.added, s.dropped, s.moved, s.retimed, s.changed, s.unchanged) == (1, 1, 0, 1, 3, 1)
    c1 = d.for_clinician("C1")
    assert [x.visit_id for x in c1.gains] == ["V3"] and [x.visit_id for x in c1.losses] == ["V1"]
    assert c1.count == 2 and d.for_clinician("C2").count == 1


def test_visits_are_optional_and_unknown_ones_are_still_compared():
    new = rota(route("C1", stop("V9", at(10))))
    d = diff_rotas(rota(), new)
    assert [(c.visit_id, c.patient_id, c.kinds) for c in d.changes] == [("V9", "", ("added",))]


def test_shift_words():
    assert shift_words(0) == "same time"
    assert shift_words(5) == "5 min later"
    assert shift_words(-60) == "1 h earlier"
    assert shift_words(125) == "2 h 5 min later"


def test_diff_json_is_plain_json():
    new = rota(route("C1", stop("V2", at(11))), route("C2", stop("V2", at(11)),
               stop("V4", at(14)), stop("V1", at(15, 30))), unassigned=("V3",))  # fmt: skip
    data = json.loads(json.dumps(diff_json(diff_rotas(BASE, new, VISITS))))
    assert data["summary"]["moved"] == 1
    assert data["changes"][0]["kinds"] == ["moved", "retimed"]
    assert data["changes"][0]["old_start"] == "2026-11-23T09:00:00"
    assert data["changes"][0]["shift_min"] == 390
    assert [c["clinician_id"] for c in data["clinicians"]] == ["C1", "C2"]
    assert data["clinicians"][1]["gains"][0]["others"] == ["C1"]


# --- the real small test day -----------------------------------------------------------------


@pytest.fixture(scope="module")
def day_visits():
    from scheduler.domain.formats.day import read_day

    return read_day(DATA / "visits.csv", DATA / "clinicians.csv")[0]


def test_the_small_day_against_itself_is_empty(small_rota, day_visits):
    from web.services.rotas import rota_from_json, rota_to_json

    d = diff_rotas(small_rota, rota_from_json(rota_to_json(small_rota)), day_visits)
    assert d.empty
    assert d.summary.unchanged == len(day_visits) == 69
    assert d.summary.assigned_old == len(small_rota.assigned_visit_ids)


def test_the_small_day_with_a_visit_dropped_one_moved_and_one_re_timed(small_rota, day_visits):
    by_id = {v.visit_id: v for v in day_visits}
    singles = [
        (r.clinician_id, s)
        for r in small_rota.routes
        for s in r.stops
        if s.visit_id is not None and by_id[s.visit_id].staff == 1
    ]
    cids = [r.clinician_id for r in small_rota.routes]
    assert len(cids) >= 2 and len(singles) >= 3
    (drop_cid, drop), (move_cid, move), (late_cid, late) = singles[0], singles[-1], singles[1]
    assert len({drop.visit_id, move.visit_id, late.visit_id}) == 3
    to_cid = next(c for c in cids if c != move_cid)

    routes = []
    for r in small_rota.routes:
        stops = []
        for s in r.stops:
            if s is drop or s is move:
                continue
            if s is late:
                s = replace(s, start=s.start + timedelta(minutes=20), end=s.end + timedelta(
                    minutes=20))  # fmt: skip
            stops.append(s)
        if r.clinician_id == to_cid:
            stops.append(move)
        routes.append(Route(r.clinician_id, tuple(stops)))
    unassigned = (*small_rota.unassigned, Unassigned(drop.visit_id, "taken off by hand"))
    edited = Rota(tuple(routes), unassigned)

    d = diff_rotas(small_rota, edited, day_visits)
    kinds = {c.visit_id: c.kinds for c in d.changes}
    assert kinds == {drop.visit_id: ("dropped",), move.visit_id: ("moved",),
                     late.visit_id: ("retimed",)}  # fmt: skip
    assert d.summary.changed == 3 and d.summary.unchanged == 66
    assert d.summary.assigned_new == d.summary.assigned_old - 1
    dropped = next(c for c in d.changes if c.has("dropped"))
    assert dropped.reason == "taken off by hand"
    assert dropped.patient_id == by_id[drop.visit_id].patient_id
    assert drop.visit_id in [x.visit_id for x in d.for_clinician(drop_cid).losses]
    assert move.visit_id in [x.visit_id for x in d.for_clinician(move_cid).losses]
    assert [(x.visit_id, x.others) for x in d.for_clinician(to_cid).gains] == [
        (move.visit_id, (move_cid,))]  # fmt: skip
    assert [(x.visit_id, x.shift_min) for x in d.for_clinician(late_cid).retimed] == [
        (late.visit_id, 20)]  # fmt: skip
    affected = {drop_cid, move_cid, to_cid, late_cid}
    assert {c.clinician_id for c in d.clinicians} == affected
    # and back again: the mirror image
    back = diff_rotas(edited, small_rota, day_visits)
    assert {c.visit_id: c.kinds for c in back.changes} == {
        drop.visit_id: ("added",),
        move.visit_id: ("moved",),
        late.visit_id: ("retimed",),
    }
    assert next(c for c in back.changes if c.has("retimed")).shift_min == -20
