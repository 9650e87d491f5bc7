"""`hah demo --serve` loads the sample day, its rota and demo accounts into the app."""

from __future__ import annotations

import shutil
from datetime import date

from scheduler.domain.samples import SAMPLE_DIR
from tests.support.web import DATA, DAY, login
from web.demo import load_demo


def test_demo_publishes_the_rota_and_its_accounts_can_sign_in(app, db_url, small_rota):
    loaded = load_demo(db_url, DATA, date.fromisoformat(DAY), small_rota)
    assert loaded.published_number == 1 and loaded.refused == ()
    accounts = {a.role: a for a in loaded.accounts}
    assert set(accounts) == {"coordinator", "nurse", "ops"}
    nurse = accounts["nurse"]
    assert nurse.password and nurse.clinician_id
    assert any(r.clinician_id == nurse.clinician_id and r.visit_ids for r in small_rota.routes)
    c = app.test_client()
    assert login(c, nurse.username, nurse.password).headers["Location"] == "/nurse/"
    page = c.get(f"/nurse/route/{DAY}/{nurse.clinician_id}")
    assert page.status_code == 200
    route = next(r for r in small_rota.routes if r.clinician_id == nurse.clinician_id)
    assert page.data.count(b"google.com/maps/dir/") == len(route.visit_ids)  # one per stop


def test_demo_again_republishes_and_keeps_existing_accounts(db_url, small_rota):
    load_demo(db_url, DATA, date.fromisoformat(DAY), small_rota)
    again = load_demo(db_url, DATA, date.fromisoformat(DAY), small_rota)
    assert again.published_number == 2
    assert all(a.password is None for a in again.accounts)


def test_demo_with_an_eroster_in_its_data_stores_the_roster(db_url, small_rota, tmp_path):
    """sample_data/ has the sample service's e-roster: the demo imports it, so the roster page
    and "plan a day" without a file have staff at once (a second load replaces it)."""
    from web.db import Database
    from web.services.roster import shifts_for

    for name in ("visits.csv", "clinicians.csv"):
        shutil.copy(DATA / name, tmp_path / name)
    shutil.copy(SAMPLE_DIR / "eroster.csv", tmp_path / "eroster.csv")
    assert load_demo(db_url, tmp_path, date.fromisoformat(DAY), small_rota).roster_duties == 903
    assert load_demo(db_url, tmp_path, date.fromisoformat(DAY), small_rota).roster_duties == 903
    db = Database(db_url)
    try:
        with db.session() as s:
            assert len(shifts_for(s, date.fromisoformat(DAY))) == 129
    finally:
        db.dispose()


def test_demo_admits_the_sample_caseload_so_tomorrow_can_be_planned_from_it(db_url, small_rota,
                                                                          tmp_path):  # fmt: skip
    """With the sample's patients.csv, careplans.csv and e-roster, the demo's coordinator can
    plan tomorrow from the caseload with the stored roster at once; a second load leaves the
    caseload as it is (nobody admitted twice)."""
    from datetime import timedelta

    from scheduler.domain.careplan import expand, read_caseload
    from scheduler.domain.formats.tabular import CsvSource
    from web.db import Database
    from web.services.caseload_day import plan_from_roster
    from web.services.days import day_inputs

    for name in ("visits.csv", "clinicians.csv"):
        shutil.copy(DATA / name, tmp_path / name)
    for name in ("eroster.csv", "patients.csv", "careplans.csv"):
        shutil.copy(SAMPLE_DIR / name, tmp_path / name)
    day = date.fromisoformat(DAY)
    patients = sum(1 for _ in (SAMPLE_DIR / "patients.csv").open()) - 1
    assert load_demo(db_url, tmp_path, day, small_rota).caseload_patients == patients
    assert load_demo(db_url, tmp_path, day, small_rota).caseload_patients == 0
    db = Database(db_url)
    try:
        with db.session() as s:
            imp = plan_from_roster(s, day + timedelta(days=1), None, "test")
            s.commit()
            visits, shifts = day_inputs(imp)
            assert len(shifts) == 129
            # the visits are tomorrow's expansion of the sample's care plans
            people, plans = read_caseload(CsvSource("patients.csv", (SAMPLE_DIR / "patients.csv").read_bytes()),
                                          CsvSource("careplans.csv", (SAMPLE_DIR / "careplans.csv").read_bytes()))  # fmt: skip
            want = expand(people, plans, day + timedelta(days=1))
            assert len(want) > patients  # several visits a patient
            assert sorted(v.visit_id for v in visits) == sorted(v.visit_id for v in want)
    finally:
        db.dispose()
