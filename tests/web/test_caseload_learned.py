"""Planning tomorrow from the caseload learns continuity from the published days before: the
nurse who gave a patient today's dose is preferred for tomorrow's at the same hour, when she
is on shift, and a patient with no history keeps no learned preference. Every rota solved
here goes through the independent checker."""

from __future__ import annotations

from datetime import date, timedelta

from scheduler.domain.check import check
from scheduler.domain.formats.day import read_visits
from scheduler.domain.formats.tabular import CsvSource
from solver import SolveOptions, solve
from tests.support.web import DATA, DAY, shifted, with_genders
from web.services.caseload import admit
from web.services.caseload_day import plan_from_caseload
from web.services.caseload_input import patient_details, plan_items
from web.services.days import Upload, problem_for
from web.services.rotas import publish_version, save_draft

D1 = date.fromisoformat(DAY) + timedelta(days=1)
D2 = D1 + timedelta(days=1)


def staff_for(day: date) -> Upload:
    days = (day - date.fromisoformat(DAY)).days
    return Upload(
        f"roster-{day}.csv",
        with_genders(shifted((DATA / "clinicians.csv").read_text(), days)).encode(),
    )


def test_tomorrows_doses_prefer_the_nurses_who_gave_todays(db, users, published):
    coord = users["coord"]
    details = patient_details({"patient_id": "P9001", "lat": "51.75", "lon": "-0.33"})
    admit(db, details, plan_items([{"regimen": "iv_antibiotic", "frequency": "q8h",
                                    "first_time": "06:00"}], "P9001", D1), D1, coord)  # fmt: skip
    db.commit()
    imp1 = plan_from_caseload(db, D1, staff_for(D1), coord)
    db.commit()
    first = read_visits(CsvSource("v.csv", bytes(imp1.visits_csv)))
    assert all(v.preferred_clinician is None for v in first)  # no history yet
    problem = problem_for(imp1)
    rota = solve(problem, SolveOptions(max_iterations=300, seed=1)).rota
    assert check(problem, rota).ok
    version = save_draft(db, imp1, rota, coord)
    db.commit()
    publish_version(db, version, coord)
    db.commit()
    gave = {vid[-4:]: r.clinician_id for r in rota.routes for vid in r.visit_ids}

    imp2 = plan_from_caseload(db, D2, staff_for(D2), coord)
    db.commit()
    second = {v.visit_id[-4:]: v for v in read_visits(CsvSource("v.csv", bytes(imp2.visits_csv)))}
    for hour in ("1400", "2200", "0600"):
        # the same clinician ids work the same shifts on the moved day: she is on shift again
        assert second[hour].preferred_clinician == gave[hour] or (
            second[hour].preferred_clinician in gave.values()
            and gave[hour] in dict(second[hour].familiar_clinicians)
        ), (hour, gave, second[hour])
    problem2 = problem_for(imp2)
    rota2 = solve(problem2, SolveOptions(max_iterations=300, seed=1)).rota
    assert check(problem2, rota2).ok
