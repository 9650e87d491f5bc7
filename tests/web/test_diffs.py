"""``web.services.diffs``: the domain's diff as the API's JSON, and the real small test day
compared with itself and with a changed copy."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta

import pytest

from scheduler.domain.model import Rota, Route, Unassigned
from tests.support.factories import at
from tests.support.rotas import BASE, VISITS, changes_for, rota, route, stop
from tests.support.web import DATA
from web.services.diffs import diff_json, diff_rotas


def test_diff_json_is_plain_json():
    new = rota(route("C1", stop("V2", at(11))), route("C2", stop("V2", at(11)),
               stop("V4", at(14)), stop("V1", at(15, 30))), unassigned=("V3",))  # fmt: skip
    data = json.loads(json.dumps(diff_json(diff_rotas(BASE, new, VISITS))))
    assert data["summary"]["moved"] == 1
    assert data["changes"][0]["kinds"] == ["moved", "retimed"]
    assert data["changes"][0]["old_start"] == "2026-11-23T09:00:00+00:00"  # local, with offset
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
    assert drop.visit_id in [x.visit_id for x in changes_for(d, drop_cid).losses]
    assert move.visit_id in [x.visit_id for x in changes_for(d, move_cid).losses]
    assert [(x.visit_id, x.others) for x in changes_for(d, to_cid).gains] == [
        (move.visit_id, (move_cid,))]  # fmt: skip
    assert [(x.visit_id, x.shift_min) for x in changes_for(d, late_cid).retimed] == [
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
