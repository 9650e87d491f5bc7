"""Continuity over the stay (``web.services.stays``) on the board and in the ops figures: three
published days of the small day (Monday to Wednesday), the same rota each day but for visits
of one patient moved to nurses new to her; every figure compared with a count made here from
the rotas themselves, and every rota through the checker."""

from __future__ import annotations

import json
import re
from collections import Counter
from datetime import date, timedelta

import pytest

from scheduler.domain.check import check
from scheduler.domain.formats.day import read_day
from scheduler.domain.problem import build_problem
from tests.support.web import (
    DATA,
    DAY,
    assert_checker_clean,
    import_day_moved,
    publish_moved,
    shifted,
    text_of,
)
from web.models import DayImport
from web.services.caseload import admit, discharge, find_patient
from web.services.caseload_input import patient_details

D0 = date.fromisoformat(DAY)  # a Monday
MOVED = "P0001"  # the patient whose visits are moved to other nurses on days 1 and 2
STEADY = "P0011"  # seen by the same two nurses every day (C003, C006)


@pytest.fixture(scope="module")
def problem():
    return build_problem(*read_day(DATA / "visits.csv", DATA / "clinicians.csv"))


def move_to_someone_new(problem, rota, patient: str, skip: int = 0):
    """``rota`` with one of ``patient``'s visits (the ``skip``-th that can be) moved to a
    clinician who does not see her in ``rota``, clean by the checker."""
    from web.services.edits import Edit, EditError, apply_edit

    patient_of = {v.visit_id: v.patient_id for v in problem.visits}
    hers = {r.clinician_id for r in rota.routes for v in r.visit_ids if patient_of[v] == patient}
    candidates = [(r.clinician_id, v) for r in rota.routes for v in r.visit_ids
                  if patient_of[v] == patient]  # fmt: skip
    found = 0
    for _, vid in sorted(candidates, key=lambda cv: cv[1]):
        for other in sorted(s.clinician_id for s in problem.shifts):
            if other in hers:
                continue
            try:
                new, _, _ = apply_edit(problem, rota, [], Edit("move", vid, to_clinician=other))
            except EditError:
                continue
            if check(problem, new).ok:
                if found == skip:
                    return new
                found += 1
                break
    raise AssertionError(f"no clean move of a visit of {patient} to someone new")


@pytest.fixture
def three_days(db, users, small_rota, problem):
    """Monday, Tuesday, Wednesday published: Monday the session's rota, Tuesday and Wednesday
    with one visit of MOVED each given to a clinician new to her. Returns the three rotas (in
    the small day's own dates) and the published versions."""
    rotas = [small_rota, move_to_someone_new(problem, small_rota, MOVED),
             move_to_someone_new(problem, small_rota, MOVED, skip=1)]  # fmt: skip
    versions = []
    for n, rota in enumerate(rotas):
        version = publish_moved(db, users, import_day_moved(db, users, n), rota, n)
        assert_checker_clean(db, version.id)
        versions.append(version)
    return rotas, versions


def by_hand(problem, rotas, patients=None) -> dict[str, Counter]:
    """patient → clinician → visits over ``rotas``, counted from their routes here."""
    patient_of = {v.visit_id: v.patient_id for v in problem.visits}
    out: dict[str, Counter] = {}
    for rota in rotas:
        for r in rota.routes:
            for vid in r.visit_ids:
                p = patient_of[vid]
                if patients is None or p in patients:
                    out.setdefault(p, Counter())[r.clinician_id] += 1
    return out


def top(c: Counter, k: int) -> int:
    return sum(sorted(c.values(), reverse=True)[:k])


def stays_on(db, day: date, version=None, **kw) -> dict:
    """patient → her stay as ``day`` shows it (the day must have a version to show)."""
    from web.services.stays import day_stays

    found = day_stays(db, day, version, **kw)
    assert found is not None, day
    return {s.patient_id: s for s in found.stays}


def row_of(page: str, patient: str) -> str:
    found = re.search(rf'<tr data-patient="{patient}">(.*?)</tr>', page, re.S)
    assert found, f"no row for {patient}"
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", found.group(1))).strip()


def test_the_same_nurses_every_day_is_100_percent_and_new_ones_lower_the_share(
    db, three_days, problem
):
    from web.services.stays import day_stays

    rotas, _ = three_days
    stays = day_stays(db, D0 + timedelta(days=2))
    assert stays is not None
    got = {s.patient_id: s for s in stays.stays}
    assert set(got) == {f"P{n:04d}" for n in range(1, 13)}  # the day's twelve patients
    steady = got[STEADY]
    assert (steady.measure.top3, steady.measure.clinicians) == (1.0, 2)
    assert (steady.days, steady.measure.attendances, steady.on_caseload) == (3, 18, False)
    assert steady.since == D0 + timedelta(days=2 - 13)  # the 14-day window, not a stay
    assert steady.first_seen == D0
    # MOVED: 8 visits a day by C011, C003, C006; one of them given to someone new on each of
    # Tuesday and Wednesday: 22 of her 24 visits by her three most frequent clinicians
    moved = got[MOVED]
    counts = by_hand(problem, rotas, {MOVED})[MOVED]
    assert sum(counts.values()) == 24 and len(counts) >= 4
    assert moved.measure.attendances == 24
    assert moved.measure.top3 == pytest.approx(22 / 24) == pytest.approx(top(counts, 3) / 24)
    assert moved.measure.top2 == pytest.approx(top(counts, 2) / 24)
    assert moved.measure.clinicians == len(counts)
    assert moved.top == tuple(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:3])
    # Monday alone: nothing moved yet, her share is Monday's
    monday = stays_on(db, D0)
    assert monday[MOVED].measure.top3 == 1.0 and monday[MOVED].days == 1
    # the caseload's mean, visit-weighted, by hand over all twelve
    everyone = by_hand(problem, rotas)
    total = sum(sum(c.values()) for c in everyone.values())
    assert stays.summary.top3_visits == pytest.approx(
        sum(top(c, 3) for c in everyone.values()) / total)  # fmt: skip
    assert stays.summary.top3_patients == pytest.approx(
        sum(top(c, 3) / sum(c.values()) for c in everyone.values()) / 12)  # fmt: skip
    # a shorter window counts fewer days
    short = stays_on(db, D0 + timedelta(days=2), window_days=2)
    assert short[STEADY].days == 2 and short[STEADY].measure.attendances == 12
    assert short[MOVED].measure.attendances == 16


def test_a_stay_on_the_caseload_counts_from_its_admission_only(db, users, three_days, problem):
    rotas, _ = three_days
    tuesday, wednesday = D0 + timedelta(days=1), D0 + timedelta(days=2)
    details = patient_details({"patient_id": MOVED, "lat": "51.899119", "lon": "-0.202859",
                               "address": "47 Beech Way, Stevenage SG1"})  # fmt: skip
    admit(db, details, [], tuesday, users["coord"])
    db.commit()
    got = stays_on(db, wednesday)
    stay = got[MOVED]
    counts = by_hand(problem, rotas[1:], {MOVED})[MOVED]  # Tuesday and Wednesday
    assert (stay.on_caseload, stay.since, stay.days, stay.first_seen) == (True, tuesday, 2,
                                                                            tuesday)  # fmt: skip
    assert stay.measure.attendances == 16 == sum(counts.values())
    assert stay.measure.top3 == pytest.approx(top(counts, 3) / 16)
    assert got[STEADY].on_caseload is False and got[STEADY].days == 3
    # discharged on Tuesday and admitted again on Wednesday: only the new stay counts
    patient = find_patient(db, MOVED)
    assert patient is not None
    discharge(db, patient, tuesday, "", users["coord"])
    admit(db, details, [], wednesday, users["coord"])
    db.commit()
    stay = stays_on(db, wednesday)[MOVED]
    assert (stay.since, stay.days, stay.measure.attendances) == (wednesday, 1, 8)
    assert stay.measure.top3 == pytest.approx(top(by_hand(problem, rotas[2:])[MOVED], 3) / 8)


def test_the_board_lists_each_patients_stay_sorted_and_filtered(as_role, db, users, three_days,
                                                                problem):  # fmt: skip
    rotas, versions = three_days
    wednesday = f"{D0 + timedelta(days=2):%Y-%m-%d}"
    coord = as_role("coord")
    r = coord.get(f"/coordinator/day/{wednesday}")
    assert r.status_code == 200
    page = r.get_data(as_text=True)
    steady = row_of(page, STEADY)
    assert re.search(r"Mon 23 Nov \(last 14 days\) 3 18 2 100% 100%", steady), steady
    moved = row_of(page, MOVED)
    counts = by_hand(problem, rotas, {MOVED})[MOVED]
    want = f"3 24 {len(counts)} {round(100 * 22 / 24)}% {round(100 * top(counts, 2) / 24)}%"
    assert want in moved, moved
    names = {s.clinician_id: s.name for s in problem.shifts}
    first, n = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[0]
    assert f"{names[first]} ({first}) ×{n}" in moved
    everyone = by_hand(problem, rotas)
    mean = sum(top(c, 3) for c in everyone.values()) / sum(sum(c.values()) for c in
                                                           everyone.values())  # fmt: skip
    text = text_of(r)
    assert f"{100 * mean:.0f}% of the stays' visits by each patient's 3 most frequent" in text
    # lowest share first by default; a filter and another order from the page's form
    order = re.findall(r'<tr data-patient="(P\d+)">', page)
    shares = {p: top(c, 3) / sum(c.values()) for p, c in everyone.items()}
    assert order == sorted(shares, key=lambda p: (shares[p], top(everyone[p], 2) /
                                                  sum(everyone[p].values()), p))  # fmt: skip
    below = coord.get(f"/coordinator/day/{wednesday}?stays_below=100").get_data(as_text=True)
    assert set(re.findall(r'<tr data-patient="(P\d+)">', below)) == {
        p for p, s in shares.items() if s < 1} and MOVED in shares  # fmt: skip
    one = coord.get(f"/coordinator/day/{wednesday}?stays_q=0011").get_data(as_text=True)
    assert re.findall(r'<tr data-patient="(P\d+)">', one) == [STEADY]
    by_id = coord.get(f"/coordinator/day/{wednesday}?stays_sort=patient").get_data(as_text=True)
    assert re.findall(r'<tr data-patient="(P\d+)">', by_id) == sorted(everyone)
    # a draft of Wednesday shows what publishing it would do: STEADY gets a third nurse
    from web.services.rotas import rota_from_json, rota_to_json, save_draft

    draft_rota = move_to_someone_new(problem, rotas[2], STEADY)
    wednesdays = rota_from_json(json.loads(shifted(json.dumps(rota_to_json(draft_rota)), 2)))
    draft = save_draft(db, db.get(DayImport, versions[2].import_id), wednesdays, users["coord"])
    db.commit()
    assert_checker_clean(db, draft.id)
    shown = coord.get(f"/coordinator/day/{wednesday}?version={draft.id}").get_data(as_text=True)
    assert re.search(r"Mon 23 Nov \(last 14 days\) 3 18 3 \d+% \d+%", row_of(shown, STEADY))
    assert "this draft: what publishing it would make" in shown
    assert stays_on(db, D0 + timedelta(days=2), draft)[STEADY].measure.clinicians == 3
    # the published board is unchanged by the draft
    again = coord.get(f"/coordinator/day/{wednesday}").get_data(as_text=True)
    assert re.search(r"Mon 23 Nov \(last 14 days\) 3 18 2 100% 100%", row_of(again, STEADY))


def test_publishing_an_earlier_day_again_changes_the_board_of_a_later_one(
    as_role, db, users, three_days, problem
):
    from web.services.rotas import publish, rota_from_json, rota_to_json, save_draft

    rotas, versions = three_days
    coord = as_role("coord")
    wednesday = f"{D0 + timedelta(days=2):%Y-%m-%d}"
    before = row_of(coord.get(f"/coordinator/day/{wednesday}").get_data(as_text=True), STEADY)
    assert re.search(r"\(last 14 days\) 3 18 2 100% 100%", before), before
    tuesdays = move_to_someone_new(problem, rotas[1], STEADY)
    moved = rota_from_json(json.loads(shifted(json.dumps(rota_to_json(tuesdays)), 1)))
    new = save_draft(db, db.get(DayImport, versions[1].import_id), moved, users["coord"])
    publish(db, new, users["coord"], confirm_replace=versions[1].number)
    db.commit()
    assert_checker_clean(db, new.id)
    after = row_of(coord.get(f"/coordinator/day/{wednesday}").get_data(as_text=True), STEADY)
    counts = by_hand(problem, [rotas[0], tuesdays, rotas[2]], {STEADY})[STEADY]
    assert len(counts) == 3 and sum(counts.values()) == 18
    assert f"3 18 3 {round(100 * top(counts, 3) / 18)}% {round(100 * top(counts, 2) / 18)}%" \
        in after, after
    # and once she is on the caseload, admitted on Tuesday, the board says so
    admit(db, patient_details({"patient_id": STEADY, "lat": "51.9", "lon": "-0.2"}), [],
          D0 + timedelta(days=1), users["coord"])  # fmt: skip
    db.commit()
    on = row_of(coord.get(f"/coordinator/day/{wednesday}").get_data(as_text=True), STEADY)
    assert on.startswith(f"{STEADY} admitted Tue 24 Nov 2 12 "), on


def test_the_ops_week_reports_stay_continuity_beside_the_preferred_kept(as_role, db,
                                                                        three_days, problem):  # fmt: skip
    from web.services.figures import week_figures

    rotas, _ = three_days
    week = week_figures(db, D0)
    assert week["days_published"] == 3
    for n, d in enumerate(week["days"][:3]):
        everyone = by_hand(problem, rotas[: n + 1])  # each day: the stays so far
        total = sum(sum(c.values()) for c in everyone.values())
        st = d["stays"]
        assert (st["patients"], st["attendances"]) == (12, total)
        assert st["top3_visit_weighted"] == round(
            sum(top(c, 3) for c in everyone.values()) / total, 4)  # fmt: skip
        assert st["top2_visit_weighted"] == round(
            sum(top(c, 2) for c in everyone.values()) / total, 4)  # fmt: skip
        assert (st["on_caseload"], st["from_window"], st["window_days"]) == (0, 12, 14)
        assert d["continuity"] is not None  # the per-visit figure is still there
    # the week: each patient once, her stay as at Wednesday (all three days here)
    everyone = by_hand(problem, rotas)
    total = sum(sum(c.values()) for c in everyone.values())
    t = week["totals"]["stays"]
    assert t["days"] == 3 and t["patients"] == 12 and t["attendances"] == total
    want = sum(top(c, 3) for c in everyone.values()) / total
    assert t["top3_visit_weighted"] == round(want, 4)
    assert t["top3_patient_mean"] == round(
        sum(top(c, 3) / sum(c.values()) for c in everyone.values()) / 12, 4)  # fmt: skip
    assert t["clinicians_per_patient"] == round(
        sum(len(c) for c in everyone.values()) / 12, 3)  # fmt: skip
    assert week["totals"]["continuity"] == pytest.approx(
        week["totals"]["preferred_kept"] / week["totals"]["preferred_total"])  # fmt: skip
    ops = as_role("ops")
    page = text_of(ops.get(f"/ops/?week={DAY}"))
    assert "Continuity: preferred kept Continuity over the stay" in page
    assert f"{100 * want:.0f}% (top 2" in page
    day = text_of(ops.get(f"/ops/day/{D0 + timedelta(days=2):%Y-%m-%d}"))
    assert f"{100 * want:.0f}% of the {total} visits of the day's 12 patients' stays" in day
    assert "0 stays from the admission (on the caseload), 12 over the last 14 days" in day
    api = ops.get(f"/api/figures?week={DAY}").get_json()
    assert api["totals"]["stays"]["top3_visit_weighted"] == round(want, 4)


def test_a_day_with_nothing_published_has_no_stays(db, users):
    from web.services.stays import day_stays

    import_day_moved(db, users, 0)
    assert day_stays(db, D0) is None


def test_a_patient_with_no_visit_placed_has_no_share_rather_than_100_percent(
    as_role, db, users, small_rota, problem
):
    from web.services.edits import Edit, apply_edit
    from web.services.rotas import save_draft

    rota = small_rota
    for vid in sorted(v.visit_id for v in problem.visits if v.patient_id == "P0008"):
        rota, _, _ = apply_edit(problem, rota, [], Edit("unassign", vid))
    assert check(problem, rota).ok
    imp = import_day_moved(db, users, 0)
    draft = save_draft(db, imp, rota, users["coord"])
    db.commit()
    assert_checker_clean(db, draft.id)
    got = stays_on(db, D0, draft)
    assert "P0008" not in got and len(got) == 11
    page = as_role("coord").get(f"/coordinator/day/{DAY}?version={draft.id}")
    assert "No visit placed yet for 1 patient: P0008." in text_of(page)
    assert 'data-patient="P0008"' not in page.get_data(as_text=True)
