"""The roster in the database (``web.services.roster``): an e-roster export stored, a
re-import replacing exactly its period, a day's duties as shifts, one duty entered or
removed by hand, every change audited, and a day planned from the caseload with the stored
roster, solved and re-checked by the independent checker."""

from __future__ import annotations

import threading
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from scheduler.domain.check import check
from scheduler.domain.errors import InputError
from scheduler.domain.formats.day import read_clinicians
from scheduler.domain.formats.eroster import read_eroster
from scheduler.domain.formats.tabular import CsvSource
from scheduler.domain.localtime import at_local
from scheduler.domain.samples import SAMPLE_DIR
from solver import SolveOptions, solve
from tests.support.web import DATA, DAY, eroster_of, shifted, with_genders
from web.models import AuditLog, DayImport, RosterDuty, RosterImport
from web.services.caseload import admit
from web.services.caseload_day import plan_from_roster
from web.services.caseload_input import patient_details, plan_items
from web.services.days import DayLimits, Upload, problem_for
from web.services.roster import (
    RosterError,
    add_duty,
    days_held,
    duties_for,
    import_roster,
    remove_duty,
    shifts_for,
)

D0 = date.fromisoformat(DAY)
D1, D2, D3 = (D0 + timedelta(days=n) for n in (1, 2, 3))
HEAD = "staff_id,name,grade,date,start,end,break_min,base,base_lat,base_lon,duty_code\n"
BANK = {"staff_id": "B900", "name": "Bea Bank", "grade": "RN5", "gender": "F",
        "start": "10:00", "end": "18:00", "break_min": "30", "base": "St Albans",
        "base_lat": "51.751", "base_lon": "-0.33", "duty_code": "BANK"}  # fmt: skip


def small_roster(days: int = 1) -> str:
    """The small test day's 12 shifts moved to D1 (and the days after), as an export."""
    text = with_genders(shifted((DATA / "clinicians.csv").read_text(), 1))
    body = "".join(eroster_of(shifted(text, n)).split("\n", 1)[1] for n in range(days))
    return eroster_of(text).split("\n", 1)[0] + "\n" + body


def audits(db, action: str) -> list[str]:
    db.expire_all()
    return [a.detail for a in db.scalars(select(AuditLog).where(AuditLog.action == action)
                                         .order_by(AuditLog.id))]  # fmt: skip


def test_an_import_stores_each_days_shifts_exactly_as_the_export_says(db, users):
    text = small_roster(days=3)
    got = import_roster(db, Upload("eroster.csv", text.encode()), users["coord"], "10.0.0.1")
    db.commit()
    export = read_eroster(CsvSource.from_text(text, "eroster.csv"))
    for day in (D1, D2, D3):
        assert shifts_for(db, day) == sorted(export.shifts_on(day),
                                             key=lambda s: (s.start, s.clinician_id))  # fmt: skip
        assert len(shifts_for(db, day)) == 12
    assert shifts_for(db, D0) == []
    assert days_held(db, D0, D3 + timedelta(days=5)) == {D1: 12, D2: 12, D3: 12}
    row = got.row
    assert (row.file_name, row.first_day, row.last_day, row.duties_count, row.skipped_count,
            row.replaced_count) == ("eroster.csv", D1, D3, 36, 0, 0)  # fmt: skip
    assert {d.source for d in duties_for(db, D1)} == {"import"}
    assert {d.import_id for d in duties_for(db, D1)} == {row.id}
    assert audits(db, "roster_import") == [
        f"eroster.csv: {D1} to {D3}: 36 duties on 3 days, roster import {row.id}; 0 rows not "
        "working (none); replaced 0 stored duties (0 entered on the web)"]
    # the same shifts clinicians.csv gives for that day: a day planned from either is the same
    staff = read_clinicians(CsvSource.from_text(with_genders(shifted(
        (DATA / "clinicians.csv").read_text(), 1)), "clinicians.csv"))  # fmt: skip
    assert sorted(shifts_for(db, D1), key=lambda s: s.clinician_id) == list(staff)


def test_a_re_import_replaces_its_period_only_entered_and_removed_duties_included(db, users):
    coord = users["coord"]
    import_roster(db, Upload("week.csv", small_roster(days=3).encode()), coord)
    db.commit()
    add_duty(db, D2, BANK, coord, note="bank shift booked")
    remove_duty(db, D2, "C004", coord)
    remove_duty(db, D3, "C004", coord)
    db.commit()
    assert len(shifts_for(db, D2)) == 12 and "B900" in {s.clinician_id for s in shifts_for(db, D2)}
    # D2 alone again, as the roster system says it now: C004 back, the bank nurse gone, and
    # C001 off sick (her row of duty gone, a row of sickness instead)
    d2 = "\n".join(line for line in small_roster(days=3).splitlines()
                   if line.startswith("staff_id")
                   or (f",{D2}," in line and not line.startswith("C001,"))) + "\n"  # fmt: skip
    sick = f"C001,Lena Lewis,HCA,,F,{D2},,,,,,,,,,Sick\n"
    got = import_roster(db, Upload("d2.csv", (d2 + sick).encode()), coord)
    db.commit()
    ids = {s.clinician_id for s in shifts_for(db, D2)}
    assert "C004" in ids and "B900" not in ids and "C001" not in ids and len(ids) == 11
    assert len(shifts_for(db, D1)) == 12 and len(shifts_for(db, D3)) == 11  # untouched
    assert (got.row.replaced_count, got.row.replaced_entered, got.row.skipped_count) == (12, 1, 1)
    assert got.skipped == (("Sick", 1),)
    assert audits(db, "roster_import")[-1] == (
        f"d2.csv: {D2} to {D2}: 11 duties on 1 days, roster import {got.row.id}; 1 rows not "
        "working (Sick 1); replaced 12 stored duties (1 entered on the web)")


def test_a_refused_import_stores_nothing_and_keeps_the_roster(db, users):
    import_roster(db, Upload("week.csv", small_roster(days=2).encode()), users["coord"])
    db.commit()
    bad = small_roster(days=2).replace(",07:00,", ",7 o'clock,", 1)
    with pytest.raises(InputError) as err:
        import_roster(db, Upload("week-2.csv", bad.encode()), users["coord"])
    db.rollback()
    assert [(i.file, i.row, i.column) for i in err.value.issues] == [("week-2.csv", 2, "start")]
    assert db.scalar(select(func.count(RosterImport.id))) == 1
    assert len(shifts_for(db, D1)) == 12 and len(shifts_for(db, D2)) == 12
    with pytest.raises(InputError) as err:
        import_roster(db, Upload("week.csv", small_roster().encode()), users["coord"],
                      limits=DayLimits(shifts=10))  # fmt: skip
    assert [str(i) for i in err.value.issues] == [
        f"week.csv, column date: {D1}: 12 duties; a day may hold at most 10 (HAH_MAX_SHIFTS)"]


def test_the_sample_eroster_is_a_week_of_129_shifts_a_day(db, users):
    got = import_roster(db, Upload("eroster.csv", (SAMPLE_DIR / "eroster.csv").read_bytes()),
                        users["coord"])  # fmt: skip
    db.commit()
    assert (got.row.first_day, got.row.last_day, got.row.duties_count) == (D0, D0 + timedelta(days=6), 903)
    assert got.row.skipped_count == 9 and got.skipped == (("STUDY", 9),)
    assert days_held(db, D0, D0 + timedelta(days=6)) == {D0 + timedelta(days=n): 129 for n in range(7)}


def test_a_clock_change_night_keeps_its_real_length_in_the_database(db, users):
    text = HEAD + "S1,Al,RN5,2026-10-24,21:00,07:30,60,B,51.75,-0.33,N\n"
    import_roster(db, Upload("october.csv", text.encode()), users["coord"])
    db.commit()
    db.expire_all()
    [night] = shifts_for(db, date(2026, 10, 24))
    assert (night.end - night.start).total_seconds() / 60 == 690
    assert night.start == at_local(date(2026, 10, 24), 21)
    assert night.end == at_local(date(2026, 10, 25), 7, 30)
    assert night.rest_break is not None and night.rest_break.window.start == night.start


def test_a_duty_entered_by_hand_is_checked_as_an_export_row_and_audited(db, users):
    coord = users["coord"]
    import_roster(db, Upload("d1.csv", small_roster().encode()), coord)
    db.commit()
    row = add_duty(db, D1, BANK, coord, "10.0.0.2", note="bank nurse booked at 09:40")
    db.commit()
    assert (row.source, row.note, row.duty_code, row.import_id) == (
        "entered", "bank nurse booked at 09:40", "BANK", None)
    [bank] = [s for s in shifts_for(db, D1) if s.clinician_id == "B900"]
    assert (bank.start, bank.end) == (at_local(D1, 10), at_local(D1, 18))
    assert bank.skills == frozenset({"RN", "OBS", "PHLEB", "IV"}) and bank.gender == "F"
    assert bank.rest_break is not None and bank.rest_break.duration_min == 30
    assert audits(db, "roster_add") == [f"{D1}: B900 (RN5) on shift 10:00–18:00 (IV;OBS;PHLEB;RN), entered"]
    cases = [
        (BANK | {"start": "25:00"}, 422, [("start", "'25:00' is not a time of day; write it as HH:MM (local time)")]),
        (BANK | {"grade": "", "base_lat": "0", "base_lon": "0"}, 422,
         [("grade", "is empty"), ("base_lat", "0, 0 is a missing geocode: the address was never "
                                  "turned into coordinates")]),
        (BANK | {"duty_code": "AL"}, 422, [("duty_code", "'AL' is not a working duty (leave, "
                                            "sickness or study puts nobody on shift)")]),
        (BANK | {"start": "03:00", "end": "07:00"}, 422, [("start", (
            f"the duty 03:00–07:00 belongs to planning day {D0} (planning days run 07:00 to "
            "07:00): enter it on that day"))]),
        (BANK, 409, [("staff_id", f"B900 already has a duty on {D1} (10:00–18:00): remove it first")]),
        (BANK | {"staff_id": "C010", "start": "07:00", "end": "15:00"}, 409,
         [("staff_id", f"C010 already has a duty on {D1} (21:00–07:30): remove it first")]),
    ]  # fmt: skip
    for fields, status, problems in cases:
        with pytest.raises(RosterError) as err:
            add_duty(db, D1, fields, coord)
        assert (err.value.status, err.value.problems) == (status, problems), fields
        db.rollback()
    # her night of D1 ends at 07:30 on D2: an early on D2 would start before it ends
    with pytest.raises(RosterError) as err:
        add_duty(db, D2, BANK | {"staff_id": "C010", "start": "07:00", "end": "15:00"}, coord)
    assert err.value.status == 409 and err.value.problems == [
        ("start", f"C010's duty 07:00–15:00 overlaps her duty of {D1} (21:00–07:30)")]
    db.rollback()
    assert len(shifts_for(db, D1)) == 13 and shifts_for(db, D2) == []


def test_removing_a_duty_takes_her_off_that_day_only(db, users):
    coord = users["coord"]
    import_roster(db, Upload("d.csv", small_roster(days=2).encode()), coord)
    db.commit()
    removed = remove_duty(db, D1, "C007", coord)
    db.commit()
    assert removed.clinician_id == "C007"
    assert "C007" not in {s.clinician_id for s in shifts_for(db, D1)}
    assert "C007" in {s.clinician_id for s in shifts_for(db, D2)}
    assert audits(db, "roster_remove") == [f"{D1}: C007 taken off the roster (14:30–22:30, import)"]
    with pytest.raises(RosterError) as err:
        remove_duty(db, D1, "C007", coord)
    assert (err.value.status, err.value.problems) == (404, [("staff_id", f"C007 has no duty on {D1}")])
    assert db.scalar(select(func.count(RosterDuty.id))) == 23


def test_a_day_planned_from_the_caseload_with_the_stored_roster_solves_clean(db, users):
    coord = users["coord"]
    with pytest.raises(InputError) as err:
        plan_from_roster(db, D1, coord)
    assert err.value.issues[0].file == "roster"
    assert "nobody is on shift on 2026-11-24 in the stored roster" in err.value.issues[0].message
    details = patient_details({"patient_id": "P9001", "lat": "51.75", "lon": "-0.33",
                               "carer_gender": "F"})  # fmt: skip
    items = plan_items([{"regimen": "iv_antibiotic", "frequency": "q8h", "first_time": "06:00"}],
                       "P9001", D1)  # fmt: skip
    admit(db, details, items, D1, coord)
    import_roster(db, Upload("eroster.csv", small_roster().encode()), coord)
    add_duty(db, D1, BANK, coord)
    db.commit()
    imp = plan_from_roster(db, D1, coord, "10.0.0.3")
    db.commit()
    assert (imp.visits_count, imp.clinicians_count, imp.clinicians_name) == (3, 13, "roster-2026-11-24.csv")
    problem = problem_for(db.get(DayImport, imp.id))
    assert sorted(s.clinician_id for s in problem.shifts) == sorted(
        s.clinician_id for s in shifts_for(db, D1))
    rota = solve(problem, SolveOptions(time_limit_s=10, max_iterations=300)).rota
    report = check(problem, rota)
    assert report.ok, report.violations
    assert not rota.unassigned
    female = {"C001", "C003", "C005", "C007", "C009", "C011", "C012", "B900"}
    assert {r.clinician_id for r in rota.routes if r.visit_ids} <= female  # she asked for one
    assert audits(db, "import")[-1].endswith("13 shifts (roster-2026-11-24.csv)")


def test_two_imports_at_once_are_one_after_the_other(app, db, users):
    """The first import holds the roster's lock until it commits; the second, in another
    session, waits for it and then replaces its duties, instead of dying on the unique
    (day, clinician) constraint between the first's new rows and its own."""
    database = app.extensions["hah_db"]
    first, second = database.session(), database.session()
    later = small_roster().replace("Lena Lewis", "Lena Lewis-Hart")
    outcome: dict = {}

    def import_second() -> None:
        try:
            import_roster(second, Upload("later.csv", later.encode()), None)
            second.commit()
            outcome["ok"] = True
        except Exception as exc:  # what it would die of without the lock
            second.rollback()
            outcome["error"] = exc

    try:
        import_roster(first, Upload("first.csv", small_roster().encode()), None)
        thread = threading.Thread(target=import_second)
        thread.start()
        thread.join(1.0)
        assert thread.is_alive()  # waiting for the lock the first holds (it never returns early)
        first.commit()
        thread.join(60)
        assert outcome == {"ok": True}
    finally:
        first.close()
        second.close()
    db.expire_all()
    names = {s.clinician_id: s.name for s in shifts_for(db, D1)}
    assert len(names) == 12 and names["C001"] == "Lena Lewis-Hart"
    assert [i.file_name for i in db.scalars(select(RosterImport).order_by(RosterImport.id))] == [
        "first.csv", "later.csv"]
