"""Retention (``web.services.retention``): old days' uploads minimised, discharged patients'
details removed, after their periods, by the service clock; what the service's history is
made of (rotas, stays, plan history, the audit log) kept and still working.

Every day here is the small synthetic day of tests/web/data with synthetic personal data
added (access notes, a name in a column the contract does not know, informational risk
flags, staff genders), so that what must go can be seen to go.
"""

from __future__ import annotations

import csv
import io
import re
import threading
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from scheduler.cli import main
from scheduler.domain.check import check
from scheduler.domain.formats.day import read_day
from scheduler.domain.formats.tabular import CsvSource
from scheduler.domain.localtime import parse_contract
from tests.support.web import DAY, assert_checker_clean, small_files, text_of, with_genders
from web.models import AuditLog, DayEvent, DayImport, Patient
from web.services.caseload import admit, discharge, find_patient
from web.services.caseload_input import patient_details, plan_items
from web.services.days import Upload, import_day, problem_for
from web.services.retention import Retention, Scheduled, purge
from web.services.rotas import publish, save_draft

D0 = date.fromisoformat(DAY)
POLICY = Retention(uploads_days=30, discharged_days=30)
#: The service clock 40 days after the small day: its uploads are due (30 days).
LATER = parse_contract(f"{D0 + timedelta(days=40):%Y-%m-%d}T03:00")
NOTES = "key safe 4321 behind the blue pot"
NAME_CELL = "Ada Synthetic"


def personal_files() -> tuple[bytes, bytes, list[str], list[str]]:
    """The small day with synthetic personal data in it: access notes and a ``dog`` flag on
    every visit, a patient name in an extra column, and staff genders. Returns the files and
    the addresses and clinician names they hold."""
    v, c = small_files()
    rows = list(csv.DictReader(io.StringIO(v.decode())))
    fields = [*rows[0].keys(), "access_notes", "risk_flags", "patient_name"]
    out = io.StringIO()
    w = csv.DictWriter(out, fieldnames=fields, lineterminator="\n")
    w.writeheader()
    for r in rows:
        w.writerow({**r, "access_notes": NOTES, "risk_flags": "dog",
                    "patient_name": NAME_CELL})  # fmt: skip
    clinicians = with_genders(c.decode())
    names = [r["name"] for r in csv.DictReader(io.StringIO(clinicians))]
    addresses = sorted({r["address"] for r in rows if r["address"]})
    return out.getvalue().encode(), clinicians.encode(), addresses, names


def import_personal(db, users, small_rota, day: date = D0):
    """The personal small day imported for ``day`` (the small day's own date only) and its
    rota published; returns the import and the version."""
    v, c, _, _ = personal_files()
    imp = import_day(db, day, Upload("visits.csv", v), Upload("clinicians.csv", c),
                     users["coord"])  # fmt: skip
    version = save_draft(db, imp, small_rota, users["coord"])
    assert version.violations == []
    publish(db, version, users["coord"])
    db.commit()
    return imp, version


def coords(data: bytes, lat: str, lon: str) -> list[tuple[float, float]]:
    return [(float(r[lat]), float(r[lon])) for r in csv.DictReader(io.StringIO(data.decode()))]


def on_the_grid(value: float) -> bool:
    """A coordinate at a 0.01° cell's corner, give or take the nudges of its cell's places."""
    return abs(value * 100 - round(value * 100)) < 0.01


def audit_count(db) -> int:
    db.expire_all()
    return db.scalar(select(func.count()).select_from(AuditLog))


def purge_rows(db) -> list[str]:
    db.expire_all()
    return list(db.scalars(select(AuditLog.detail).where(AuditLog.action == "retention_purge")
                           .order_by(AuditLog.id)))  # fmt: skip


# --- a day's uploads -------------------------------------------------------------------------


def test_an_old_import_is_minimised_and_its_day_still_opens_and_rechecks(
        app, db, users, small_rota, as_role):  # fmt: skip
    imp, version = import_personal(db, users, small_rota)
    before = check(problem_for(imp), small_rota).kpis
    _, _, addresses, names = personal_files()
    done = purge(app.extensions["hah_db"], POLICY, LATER)
    assert (done.imports, done.emptied, done.patients) == (1, 0, 0)

    db.expire_all()
    imp = db.get(DayImport, imp.id)
    assert imp.purged_at is not None and f"{imp.purged_at:%Y-%m-%d}" == f"{LATER:%Y-%m-%d}"
    visits, clinicians = bytes(imp.visits_csv).decode(), bytes(imp.clinicians_csv).decode()
    for gone in (*addresses, *names, NOTES, NAME_CELL, "dog", "patient_name", "gender"):
        assert gone not in visits + clinicians, gone
    places = coords(imp.visits_csv, "lat", "lon") + coords(imp.clinicians_csv, "start_lat",
                                                           "start_lon")  # fmt: skip
    assert all(on_the_grid(lat) and on_the_grid(lon) for lat, lon in places)
    # the day is the same day: visits, windows, shifts; only the personal data went
    old_v, old_s = read_day(CsvSource("v.csv", personal_files()[0]),
                            CsvSource("c.csv", personal_files()[1]))  # fmt: skip
    new = problem_for(imp)
    assert [(v.visit_id, v.patient_id, v.window, v.skills, v.staff) for v in new.visits] == \
        [(v.visit_id, v.patient_id, v.window, v.skills, v.staff) for v in old_v]  # fmt: skip
    assert [(s.clinician_id, s.start, s.end, s.role) for s in new.shifts] == \
        [(s.clinician_id, s.start, s.end, s.role) for s in old_s]  # fmt: skip

    # its rota re-checks clean, with the very drives it was planned with
    _, report = assert_checker_clean(db, version.id)
    assert report.kpis["travel_min_total"] == before["travel_min_total"]
    # and every page of the day opens, saying the data was purged and showing none of it
    coord = as_role("coord")
    for path in (f"/coordinator/day/{DAY}", f"/coordinator/day/{DAY}/history",
                 f"/coordinator/day/{DAY}/diff"):
        page = coord.get(path)
        assert page.status_code == 200, path
        assert not any(a in page.get_data(as_text=True) for a in addresses), path
    assert "Personal data purged on" in text_of(coord.get(f"/coordinator/day/{DAY}"))
    assert as_role("ops").get(f"/ops/day/{DAY}").status_code == 200
    route = as_role("nurse").get(f"/nurse/route/{DAY}/C002")
    assert route.status_code == 200 and NOTES not in route.get_data(as_text=True)
    assert coord.get(f"/api/days/{DAY}").get_json()["purged_at"].startswith(f"{LATER:%Y-%m-%d}")


def test_a_newer_import_is_untouched_and_the_period_is_counted_from_the_service_day(
        app, db, users, small_rota):  # fmt: skip
    imp, _ = import_personal(db, users, small_rota)
    v = bytes(imp.visits_csv)
    on_the_day = parse_contract(f"{D0 + timedelta(days=30):%Y-%m-%d}T23:59")  # 30 days: kept
    assert purge(app.extensions["hah_db"], POLICY, on_the_day).imports == 0
    db.expire_all()
    imp = db.get(DayImport, imp.id)
    assert imp.purged_at is None and bytes(imp.visits_csv) == v
    assert purge(app.extensions["hah_db"], Retention(None, 30), LATER).imports == 0  # off
    db.expire_all()
    assert db.get(DayImport, imp.id).purged_at is None
    day_after = parse_contract(f"{D0 + timedelta(days=31):%Y-%m-%d}T00:00")
    assert purge(app.extensions["hah_db"], POLICY, day_after).imports == 1


def test_a_live_day_events_form_and_files_are_minimised_and_it_can_no_longer_be_accepted(
        app, db, users, small_rota):  # fmt: skip
    from web.services.events import EventError, accept, propose

    imp, _ = import_personal(db, users, small_rota)
    first = problem_for(imp).visits[0].location
    form = {"lat": f"{first.lat + 0.003:.6f}", "lon": f"{first.lon + 0.004:.6f}",
            "address": "9 Synthetic Close, Hatfield", "skills": "OBS", "patient_id": "P0500"}
    event = propose(db, imp.day, "referral", form, parse_contract(f"{DAY}T10:00"), users["coord"])
    db.commit()
    assert event.visits_csv is not None and b"9 Synthetic Close" in event.visits_csv
    done = purge(app.extensions["hah_db"], POLICY, LATER)
    assert (done.imports, done.events) == (1, 1)
    db.expire_all()
    event = db.get(DayEvent, event.id)
    assert event.purged_at is not None and event.visits_csv is not None
    assert b"Synthetic Close" not in event.visits_csv and NOTES.encode() not in event.visits_csv
    assert event.visits_csv.startswith(b"visit_id,patient_id,lat,lon")  # still a visits.csv
    assert event.inputs["form"]["address"] == ""
    assert (event.inputs["form"]["lat"], event.inputs["form"]["lon"]) == (
        f"{first.lat + 0.003:.2f}", f"{first.lon + 0.004:.2f}")
    assert event.inputs["form"]["patient_id"] == "P0500"  # the service's id stays
    event.state, event.proposals = "ready", []  # as if answered: accepting is still refused
    with pytest.raises(EventError, match="minimised by retention"):
        accept(db, event, 0, users["coord"])


# --- discharged patients ---------------------------------------------------------------------


def nhs(nine: str) -> str:
    """A valid NHS number from nine digits starting 999 (never issued by the NHS)."""
    check_digit = 11 - sum(int(d) * w for d, w in zip(nine, range(10, 1, -1), strict=True)) % 11
    assert check_digit != 10
    return nine + str(0 if check_digit == 11 else check_digit)


PEOPLE = {
    "P9001": ("Ada Purgeable", nhs("999000001"), "1 Synthetic Row, St Albans", "AL1 3HD"),
    "P9002": ("Bea Active", nhs("999000002"), "2 Synthetic Row, St Albans", "AL1 3HE"),
    "P9003": ("Cy Recent", nhs("999000003"), "3 Synthetic Row, St Albans", "AL1 3HF"),
}


def the(db, pid: str) -> Patient:
    found = find_patient(db, pid)
    assert found is not None, pid
    return found


def admit_person(db, users, pid: str, on: date):
    name, number, address, postcode = PEOPLE[pid]
    details = patient_details({
        "patient_id": pid, "lat": "51.753219", "lon": "-0.336871", "name": name,
        "nhs_number": number, "address": address, "postcode": postcode, "carer_gender": "F",
        "access_notes": NOTES, "risk_flags": "dog;no_lone_after_dark",
        "excluded_clinicians": "C004", "preferred_clinician": "C002"})  # fmt: skip
    items = plan_items([{"regimen": "iv_antibiotic", "frequency": "q8h", "first_time": "06:00"},
                        {"regimen": "obs", "frequency": "2"}], pid, on)  # fmt: skip
    return admit(db, details, items, on, users["coord"])


@pytest.fixture
def caseload(db, users):
    """P9001 discharged 40 days before ``LATER``, P9002 still on the caseload, P9003
    discharged 10 days before ``LATER``."""
    today = LATER.date()
    admit_person(db, users, "P9001", today - timedelta(days=46))
    discharge(db, the(db, "P9001"), today - timedelta(days=40), "oral antibiotics, "
              "GP to review; daughter Jo Synthetic on 07700 900123", users["coord"])  # fmt: skip
    admit_person(db, users, "P9002", today - timedelta(days=3))
    admit_person(db, users, "P9003", today - timedelta(days=15))
    discharge(db, the(db, "P9003"), today - timedelta(days=10), "", users["coord"])
    db.commit()


def plan_history(db, pid: str) -> list[tuple]:
    db.expire_all()
    p = the(db, pid)
    return [(a.admitted_on, a.discharged_on,
             [(i.regimen, i.frequency, i.first_time, i.start_date, i.end_date, i.end_reason)
              for i in a.items]) for a in p.admissions]  # fmt: skip


def test_a_patient_discharged_before_the_period_loses_her_details_and_keeps_her_history(
        app, db, users, caseload, as_role):  # fmt: skip
    history = {pid: plan_history(db, pid) for pid in PEOPLE}
    untouched = {pid: {c: getattr(the(db, pid), c) for c in (
        "name", "nhs_number", "address", "postcode", "access_notes", "lat", "lon",
        "risk_flags", "carer_gender")} for pid in ("P9002", "P9003")}  # fmt: skip
    done = purge(app.extensions["hah_db"], POLICY, LATER)
    assert done.patients == 1

    db.expire_all()
    p = the(db, "P9001")
    assert p.purged_at is not None
    assert (p.name, p.nhs_number, p.address, p.postcode, p.access_notes) == ("", None, "", "", "")
    assert (p.risk_flags, p.excluded_clinicians, p.carer_gender, p.preferred_clinician) == (
        [], [], "", None)
    assert (p.lat, p.lon) == (51.75, -0.34)
    assert [a.discharge_note for a in p.admissions] == [""]
    assert {pid: plan_history(db, pid) for pid in PEOPLE} == history  # every stay, every item
    for pid, fields in untouched.items():  # active, and discharged within the period
        q = the(db, pid)
        assert q.purged_at is None and {c: getattr(q, c) for c in fields} == fields

    page = as_role("coord").get("/coordinator/caseload/patients/P9001")
    assert page.status_code == 200 and "Personal data purged on" in text_of(page)
    assert "Ada Purgeable" not in page.get_data(as_text=True)
    record = as_role("coord").get("/api/patients/P9001").get_json()
    assert record["purged_at"] and record["nhs_number"] is None and record["stays"]

    # admitted again: her details are taken afresh, and she is no longer marked purged
    admit_person(db, users, "P9001", LATER.date())
    db.commit()
    db.expire_all()
    p = the(db, "P9001")
    assert p.purged_at is None and p.name == "Ada Purgeable" and len(p.admissions) == 2
    assert purge(app.extensions["hah_db"], POLICY, LATER).patients == 0


def test_an_active_patient_is_never_purged_however_long_her_stay(app, db, users):
    admit_person(db, users, "P9002", D0 - timedelta(days=400))
    # an earlier stay long ago does not make a patient on the caseload now due
    admit_person(db, users, "P9001", D0 - timedelta(days=400))
    discharge(db, the(db, "P9001"), D0 - timedelta(days=390), "", users["coord"])
    admit_person(db, users, "P9001", D0 - timedelta(days=2))
    db.commit()
    assert purge(app.extensions["hah_db"], POLICY, LATER).patients == 0
    db.expire_all()
    assert db.scalar(select(func.count()).select_from(Patient)
                     .where(Patient.purged_at.is_not(None))) == 0  # fmt: skip


def test_the_audit_trail_is_kept_names_no_one_and_gets_one_row_per_run(
        app, db, users, small_rota, caseload):  # fmt: skip
    import_personal(db, users, small_rota)
    entries = audit_count(db)
    first = purge(app.extensions["hah_db"], POLICY, LATER)
    assert (first.imports, first.patients) == (1, 1)
    assert audit_count(db) == entries + 1  # nothing purged from it; one row for the run
    again = purge(app.extensions["hah_db"], POLICY, LATER)  # idempotent: nothing left
    assert again.total == 0
    rows = purge_rows(db)
    assert rows == [first.sentence(), again.sentence()]
    assert re.fullmatch(r"uploads of days before \S+: 1 import\(s\) and 0 live-day event\(s\) "
                        r"minimised; patients discharged before \S+: 1 purged", rows[0])
    # a worker's pass that finds nothing adds no row
    purge(app.extensions["hah_db"], POLICY, LATER, source="worker", audit_nothing=False)
    assert len(purge_rows(db)) == 2
    # the audit log names patients by the service's id only, before and after the purge
    details = " ".join(db.scalars(select(AuditLog.detail)))
    assert "P9001" in details
    for name, number, address, postcode in PEOPLE.values():
        for personal in (name, number, address, postcode):
            assert personal not in details, personal
    assert NOTES not in details and "07700" not in details


def test_a_dry_run_counts_what_is_due_and_changes_nothing(app, db, users, small_rota, caseload):
    imp, _ = import_personal(db, users, small_rota)
    files = (bytes(imp.visits_csv), bytes(imp.clinicians_csv))
    entries = audit_count(db)
    dry = purge(app.extensions["hah_db"], POLICY, LATER, dry_run=True)
    assert (dry.imports, dry.patients, dry.dry_run) == (1, 1, True)
    assert dry.sentence().startswith("dry run: ") and "would be purged" in dry.sentence()
    db.expire_all()
    imp = db.get(DayImport, imp.id)
    assert (bytes(imp.visits_csv), bytes(imp.clinicians_csv)) == files and imp.purged_at is None
    assert the(db, "P9001").name == "Ada Purgeable"
    assert audit_count(db) == entries


def test_two_purges_at_once_purge_each_row_once(app, db, users, small_rota, caseload):
    """As two workers' passes (or a worker's and ``hah web purge``) may meet: each row is
    claimed by one ``UPDATE … WHERE purged_at IS NULL``, so the counts add up to what was
    due, neither fails, and the result is one minimised import."""
    _, version = import_personal(db, users, small_rota)
    handle = app.extensions["hah_db"]
    results, errors = [], []
    gate = threading.Barrier(2)

    def run():
        gate.wait()
        try:
            results.append(purge(handle, POLICY, LATER))
        except Exception as exc:  # pragma: no cover - the assertion below reports it
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert errors == []
    assert sum(r.imports for r in results) == 1 and sum(r.patients for r in results) == 1
    assert_checker_clean(db, version.id)


def test_a_worker_purges_on_its_own_schedule_by_the_service_clock(app, db, users, caseload):
    scheduled = Scheduled(app.extensions["hah_db"], POLICY, {"HAH_NOW": f"{LATER:%Y-%m-%dT%H:%M}"},
                          first_s=0.05, every_s=60).start()  # fmt: skip
    try:
        for _ in range(200):
            if purge_rows(db):
                break
            threading.Event().wait(0.05)
    finally:
        scheduled.stop()
    assert len(purge_rows(db)) == 1 and "1 purged" in purge_rows(db)[0]
    db.expire_all()
    assert db.scalar(select(AuditLog.ip).where(AuditLog.action == "retention_purge")) == "worker"
    assert the(db, "P9001").purged_at is not None


# --- the command line and the settings -------------------------------------------------------


def test_hah_web_purge_prints_counts_only(app, db, users, small_rota, caseload, db_url,
                                          monkeypatch, capsys):  # fmt: skip
    import_personal(db, users, small_rota)
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("HAH_NOW", f"{LATER:%Y-%m-%dT%H:%M}")
    monkeypatch.setenv("HAH_RETAIN_UPLOADS_DAYS", "30")
    assert main(["web", "purge", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("dry run: ") and "1 import(s)" in out and ": 1 would be purged" in out
    assert main(["web", "purge"]) == 0
    out = capsys.readouterr().out
    assert "1 import(s) and 0 live-day event(s) minimised" in out and ": 1 purged" in out
    for name, number, address, postcode in PEOPLE.values():
        assert not any(x in out for x in (name, number, address, postcode))
    assert "P9001" not in out  # counts only, not even the service's ids
    assert purge_rows(db)[-1] == out.strip()
    db.expire_all()
    assert db.scalar(select(AuditLog.ip).where(AuditLog.action == "retention_purge")) == "cli"

    monkeypatch.setenv("HAH_RETAIN_DISCHARGED_DAYS", "1")
    assert main(["web", "purge"]) == 2
    assert "HAH_RETAIN_DISCHARGED_DAYS" in capsys.readouterr().err


@pytest.mark.parametrize(("raw", "days"), [("", 30), ("45", 45), (" OFF ", None), ("2", 2)])
def test_retention_periods_read_from_the_environment(monkeypatch, raw, days):
    from web import config

    monkeypatch.setenv("HAH_RETAIN_UPLOADS_DAYS", raw)
    assert config.from_env({"SECRET_KEY": "k"})["HAH_RETAIN_UPLOADS_DAYS"] == days
    assert config.retention().uploads_days == days


@pytest.mark.parametrize("raw", ["0", "1", "-5", "thirty", "30d"])
def test_a_retention_period_that_could_purge_a_live_day_or_is_not_a_number_is_refused(
        monkeypatch, raw):  # fmt: skip
    from web import config

    monkeypatch.setenv("HAH_RETAIN_DISCHARGED_DAYS", raw)
    with pytest.raises(ValueError, match="HAH_RETAIN_DISCHARGED_DAYS"):
        config.from_env({"SECRET_KEY": "k"})



# --- the stored roster ---------------------------------------------------------------------


def test_the_rosters_old_duties_lose_what_an_uploads_clinicians_lose(app, db, users):
    """Duties of days before the uploads' cutoff: the name becomes the id, no gender, no note,
    the base coarsened; the shift itself (times, break, skills) stays, and later days keep
    everything. Idempotent, counted in the run's sentence, and a dry run changes nothing."""
    from tests.support.web import eroster_of
    from web.models import RosterDuty
    from web.services.roster import add_duty, import_roster, shifts_for

    _, clinicians, _, names = personal_files()
    old = eroster_of(clinicians.decode())  # the small day, D0: due 40 days later
    recent = eroster_of(clinicians.decode().replace(f"{D0}", f"{D0 + timedelta(days=35)}")
                        .replace(f"{D0 + timedelta(days=1)}", f"{D0 + timedelta(days=36)}"))
    import_roster(db, Upload("old.csv", old.encode()), users["coord"])
    import_roster(db, Upload("recent.csv", recent.encode()), users["coord"])
    add_duty(db, D0, {"staff_id": "B900", "name": "Bea Bank", "grade": "RN5", "gender": "F",
                      "start": "10:00", "end": "18:00", "base_lat": "51.7512", "base_lon": "-0.3317"},
             users["coord"], note="booked by phone")  # fmt: skip
    db.commit()
    shifts_before = {s.clinician_id: s for s in shifts_for(db, D0)}
    dry = purge(app.extensions["hah_db"], POLICY, LATER, dry_run=True)
    assert dry.roster == 13 and "13 roster duty(ies) would be minimised" in dry.sentence()
    db.expire_all()
    assert {s.name for s in shifts_for(db, D0)} >= set(names)
    done = purge(app.extensions["hah_db"], POLICY, LATER)
    assert done.roster == 13 and "13 roster duty(ies) minimised" in done.sentence()
    assert purge(app.extensions["hah_db"], POLICY, LATER).roster == 0
    db.expire_all()
    rows = db.scalars(select(RosterDuty).where(RosterDuty.day == D0)).all()
    assert all(r.name == r.clinician_id and r.gender == "" and r.note == "" and r.purged_at
               for r in rows)  # fmt: skip
    bank = next(r for r in rows if r.clinician_id == "B900")
    assert (bank.lat, bank.lon) == (51.75, -0.33)
    for s in shifts_for(db, D0):
        before = shifts_before[s.clinician_id]
        assert (s.start, s.end, s.rest_break, s.skills, s.role) == (
            before.start, before.end, before.rest_break, before.skills, before.role)
    kept = shifts_for(db, D0 + timedelta(days=35))
    assert len(kept) == 12 and {s.name for s in kept} == set(names)
    assert any(s.gender for s in kept)
