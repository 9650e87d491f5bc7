"""The caseload in the database (``web.services.caseload``): admit, change, stop, discharge,
every step kept and audited, and each day's visits following from the plans active on it."""

from __future__ import annotations

import time as clock
from datetime import date, time, timedelta

import pytest
from sqlalchemy import func, select

from scheduler.domain.careplan import expand, read_caseload
from scheduler.domain.errors import InputError
from scheduler.domain.formats.day import read_visits
from scheduler.domain.formats.tabular import CsvSource
from scheduler.domain.localtime import at_local, local
from scheduler.domain.samples import SAMPLE_DIR
from tests.support.web import DATA, DAY, shifted, with_genders
from web.models import Admission, AuditLog, Patient, PlanItem
from web.services.caseload import (
    active_caseload,
    add_item,
    admit,
    caseload_for,
    change_item,
    discharge,
    find_patient,
    next_dose_time,
    stop_item,
)
from web.services.caseload_input import CaseloadError, patient_details, plan_items

D0 = date.fromisoformat(DAY)  # today, in the tests' service
D1, D2, D3 = (D0 + timedelta(days=n) for n in (1, 2, 3))


def the(db, pid: str = "P9001") -> Patient:
    found = find_patient(db, pid)
    assert found is not None, pid
    return found


def nhs(nine: str) -> str:
    """A valid NHS number from nine digits (its Modulus 11 check digit appended); tests use
    numbers starting 999, which the NHS never issues."""
    check = 11 - sum(int(d) * w for d, w in zip(nine, range(10, 1, -1), strict=True)) % 11
    assert check != 10, "no valid number has these nine digits"
    return nine + str(0 if check == 11 else check)


def details(pid="P9001", **extra):
    fields = {"patient_id": pid, "lat": "51.75", "lon": "-0.33", "name": "Ada Test",
              "nhs_number": nhs("999000001"), "postcode": "al1 3hd", "carer_gender": "F",
              "address": "1 Synthetic Row, St Albans", "access_notes": "key safe 1234",
              "risk_flags": "dog;no_lone_after_dark"} | extra  # fmt: skip
    return patient_details(fields)


def q8h(start=D1, first="06:00"):
    return plan_items([{"regimen": "iv_antibiotic", "frequency": "q8h", "first_time": first}],
                      "P9001", start)  # fmt: skip


def dose_times(visits):
    return [local(v.window.start + (v.window.end - v.window.start) / 2) for v in visits]


def audits(db, prefix="caseload_"):
    db.expire_all()
    return [(a.action, a.detail) for a in db.scalars(
        select(AuditLog).where(AuditLog.action.startswith(prefix)).order_by(AuditLog.id))]  # fmt: skip


def test_the_form_refuses_a_bad_nhs_number_by_the_domain_check_without_repeating_it():
    with pytest.raises(CaseloadError) as err:
        details(nhs_number="9434765918")
    assert [f for f, _ in err.value.problems] == ["nhs_number"]
    assert "check digit" in err.value.problems[0][1] and "9434765918" not in str(err.value)
    assert details(nhs_number="943 476 5919").nhs_number == "9434765919"


def test_admitting_stores_the_patient_and_the_day_follows_from_the_plan(db, users):
    adm = admit(db, details(), q8h(), D1, users["coord"])
    db.commit()
    row = the(db)
    assert row is not None and row.nhs_number == nhs("999000001") and row.postcode == "AL1 3HD"
    assert row.risk_flags == ["dog", "no_lone_after_dark"] and row.carer_gender == "F"
    assert adm.admitted_on == D1 and adm.discharged_on is None
    assert caseload_for(db, D0) == ((), ())  # not admitted yet
    patients, items = caseload_for(db, D1)
    assert [p.patient_id for p in patients] == ["P9001"]
    assert patients[0].carer_gender == "F" and patients[0].access_notes == "key safe 1234"
    assert patients[0].risk_flags == {"dog", "no_lone_after_dark"}
    visits = expand(patients, items, D1)
    # the planning day runs 07:00 to 07:00: the 06:00 dose of the 24th is the 25th's
    assert dose_times(visits) == [at_local(D1, 14), at_local(D1, 22), at_local(D2, 6)]
    assert all(v.priority == 1 and "IV" in v.skills for v in visits)


def test_a_regimen_change_keeps_history_and_the_interval_from_yesterdays_last_dose(db, users):
    admit(db, details(), q8h(), D1, users["coord"])
    patient = the(db)
    old = patient.admissions[0].items[0]
    new = change_item(db, patient, old.id, D2, {"frequency": "q12h"}, users["coord"], today=D0)
    db.commit()
    assert (old.end_date, old.end_reason) == (D1, "changed")
    assert new.replaces_id == old.id and new.start_date == D2 and new.end_date is None
    # the day before's plan ends with the 06:00 dose on D2: twelve hours on is 18:00
    assert new.first_time == time(18, 0)
    assert db.scalar(select(func.count(PlanItem.id))) == 2  # nothing overwritten
    on_d1, on_d2 = (expand(*caseload_for(db, d), d) for d in (D1, D2))
    assert dose_times(on_d1)[-1] == at_local(D2, 6)
    assert dose_times(on_d2) == [at_local(D2, 18), at_local(D3, 6)]
    assert dose_times(on_d2)[0] - dose_times(on_d1)[-1] == timedelta(hours=12)
    assert all(v.visit_type == "IV antibiotic dose (q12h)" for v in on_d2)
    with pytest.raises(CaseloadError) as again:  # the replaced item cannot be changed twice
        change_item(db, patient, old.id, D3, {"frequency": "q6h"}, users["coord"])
    assert again.value.status == 409 and "replaces it" in again.value.problems[0][1]


def test_a_change_from_the_day_an_item_starts_withdraws_it(db, users):
    admit(db, details(), q8h(start=D2), D1, users["coord"])
    patient = the(db)
    old = patient.admissions[0].items[0]
    change_item(db, patient, old.id, D2, {"frequency": "q12h", "first_time": "08:00"},
                users["coord"])  # fmt: skip
    db.commit()
    assert old.end_date == D1 and old.start_date == D2  # never active
    visits = expand(*caseload_for(db, D2), D2)
    assert dose_times(visits) == [at_local(D2, 8), at_local(D2, 20)]  # q12h only, no q8h too


def test_changes_are_refused_with_the_field_and_why(db, users):
    admit(db, details(), q8h(), D1, users["coord"])
    db.commit()
    patient = the(db)
    item = patient.admissions[0].items[0]
    cases = [
        ({"frequency": "q9h"}, D2, "frequency", "q6h, q8h, q12h or q24h"),
        ({"colour": "red"}, D2, "colour", "is not a field"),
        ({"frequency": "q12h"}, D0 - timedelta(days=1), "from_date", "in the past"),
        ({"frequency": "q8h"}, D2, "", "nothing changes"),
    ]
    for changes, when, field, words in cases:
        with pytest.raises(CaseloadError) as err:
            change_item(db, patient, item.id, when, changes, users["coord"], today=D0)
        assert any(f == field and words in why for f, why in err.value.problems), err.value
    db.rollback()
    assert db.scalar(select(func.count(PlanItem.id))) == 1


def test_stop_and_discharge_end_the_plan_and_say_so_in_the_audit(db, users):
    admit(db, details(), q8h() + plan_items([{"regimen": "obs", "frequency": "2"}], "P9001", D1),
          D1, users["coord"])  # fmt: skip
    patient = the(db)
    abx, obs = patient.admissions[0].items
    stop_item(db, patient, obs.id, D1, users["coord"], today=D0)
    assert [v.visit_type for v in expand(*caseload_for(db, D2), D2)] == [
        "IV antibiotic dose (q8h)"] * 3
    added = add_item(db, patient, plan_items([{"regimen": "bloods", "start_date": f"{D3}"}],
                                             "P9001", D1)[0], users["coord"], today=D0)  # fmt: skip
    adm = discharge(db, patient, D2, "oral antibiotics at home", users["coord"])
    db.commit()
    assert adm.discharged_on == D2 and adm.discharge_note == "oral antibiotics at home"
    assert (abx.end_date, abx.end_reason) == (D2, "discharged")
    assert (obs.end_date, obs.end_reason) == (D1, "stopped")  # already ended: kept
    assert added.end_date == D2 and added.start_date == D3  # never started: withdrawn
    assert len(expand(*caseload_for(db, D2), D2)) == 3  # the day of discharge still happens
    assert caseload_for(db, D3) == ((), ())
    with pytest.raises(CaseloadError) as err:
        change_item(db, patient, abx.id, D3, {"frequency": "q12h"}, users["coord"])
    assert err.value.status == 409 and "not on the caseload" in err.value.problems[0][1]
    actions = audits(db)
    assert [a for a, _ in actions] == ["caseload_admit", "caseload_plan_stop",
                                       "caseload_plan_add", "caseload_discharge"]  # fmt: skip
    assert all(d.startswith("P9001: ") for _, d in actions)
    assert all("Ada" not in d and nhs("999000001") not in d for _, d in actions)


def test_a_patient_is_admitted_again_only_after_the_last_stay(db, users):
    admit(db, details(), q8h(), D1, users["coord"])
    with pytest.raises(CaseloadError) as err:
        admit(db, details(), [], D2, users["coord"])
    assert err.value.status == 409 and err.value.problems[0][0] == "patient_id"
    discharge(db, the(db), D2, "", users["coord"])
    with pytest.raises(CaseloadError) as err:
        admit(db, details(), [], D2, users["coord"])
    assert err.value.problems[0][0] == "admitted_on"
    admit(db, details(address="2 Synthetic Row"), q8h(start=D3), D3, users["coord"])
    db.commit()
    patient = the(db)
    assert len(patient.admissions) == 2 and patient.address == "2 Synthetic Row"
    assert db.scalar(select(func.count(Patient.id))) == 1


def test_an_nhs_number_belongs_to_one_patient(db, users):
    admit(db, details(), [], D1, users["coord"])
    with pytest.raises(CaseloadError) as err:
        admit(db, details("P9002"), [], D1, users["coord"])
    assert err.value.problems == [("nhs_number", "is already the NHS number of patient P9001")]


def test_bad_patient_fields_are_all_named():
    with pytest.raises(CaseloadError) as err:
        patient_details({"patient_id": "P 1", "lat": "0", "lon": "0", "nhs_number": "9434765918",
                         "postcode": "ZZZ", "carer_gender": "x", "risk_flags": "Dog!",
                         "preferred_clinician": "C1", "excluded_clinicians": "C1;C2"})  # fmt: skip
    fields = [f for f, _ in err.value.problems]
    assert sorted(fields) == sorted(["patient_id", "lat", "nhs_number", "postcode",
                                     "risk_flags", "carer_gender", "preferred_clinician"])  # fmt: skip
    assert "missing geocode" in dict(err.value.problems)["lat"]
    with pytest.raises(CaseloadError) as err:
        plan_items([{"regimen": "iv_antibiotic", "frequency": "q8h"}, {},
                    {"regimen": "obs", "start_date": "2026-11-01"}], "P1", D1)  # fmt: skip
    assert [f for f, _ in err.value.problems] == ["items[0].first_time", "items[2].start_date"]


def test_the_first_dose_keeps_its_interval_across_the_clock_change():
    """25 October 2026: the clocks go back at 02:00 BST. A q6h schedule's last dose of the
    24th's plan comes six real hours after its 00:00 BST dose: 05:00 GMT on the 25th; q12h
    from the 25th then starts twelve real hours later, at 17:00."""
    from scheduler.domain.careplan import CarePlanItem, Patient
    from scheduler.domain.model import Location

    p = Patient("P1", Location(51.75, -0.33))
    old = CarePlanItem("P1", "iv_antibiotic", "q6h", time(6, 0), start_date=date(2026, 10, 20))
    assert next_dose_time(p, old, "q12h", date(2026, 10, 25)) == time(17, 0)


def test_bulk_import_is_all_or_nothing_with_file_row_and_column(db, users):
    from web.services.caseload_import import import_caseload
    from web.services.days import Upload

    good_p = (b"patient_id,lat,lon,address\nP1,51.75,-0.33,1 Row\nP2,51.80,-0.20,2 Row\n")
    good_c = (b"patient_id,regimen,frequency,first_time,start_date\n"
              b"P1,iv_antibiotic,q8h,06:00,\nP2,obs,2,,2026-11-20\n")  # fmt: skip
    bad_c = good_c + b"P3,obs,9,,\n"
    with pytest.raises(InputError) as err:
        import_caseload(db, Upload("patients.csv", good_p), Upload("plans.csv", bad_c), D1,
                        users["coord"])  # fmt: skip
    assert [str(i) for i in err.value.issues] == [
        "plans.csv, row 4, column patient_id: patient 'P3' is not in the patients file",
        "plans.csv, row 4, column frequency: '9': times per day must be one of [1, 2, 3, 4]",
    ]
    db.rollback()
    assert db.scalar(select(func.count(Patient.id))) == 0
    admitted = import_caseload(db, Upload("patients.csv", good_p), Upload("plans.csv", good_c),
                               D1, users["coord"])  # fmt: skip
    db.commit()
    assert [(a.patient.patient_id, a.admitted_on) for a in admitted] == [
        ("P1", D1), ("P2", date(2026, 11, 20))]  # a stay exported mid-way starts with its plan
    assert [i.start_date for a in admitted for i in a.items] == [D1, date(2026, 11, 20)]
    with pytest.raises(InputError) as err:
        import_caseload(db, Upload("patients.csv", good_p), Upload("plans.csv", good_c), D1,
                        users["coord"])  # fmt: skip
    assert [(i.file, i.row, i.column) for i in err.value.issues] == [
        ("patients.csv", 2, "patient_id"), ("patients.csv", 3, "patient_id")]
    assert "already on the caseload" in err.value.issues[0].message


def test_the_sample_caseload_round_trips_through_the_database(db, users):
    """The sample service's 250 patients imported, then its Monday expanded from the
    database: exactly the visits of sample_data/visits.csv, in well under a second."""
    from web.services.caseload_day import caseload_visits
    from web.services.caseload_import import import_caseload
    from web.services.days import Upload

    files = [Upload(n, (SAMPLE_DIR / n).read_bytes()) for n in ("patients.csv", "careplans.csv")]
    import_caseload(db, files[0], files[1], D0, users["coord"])
    db.commit()
    assert db.scalar(select(func.count(Admission.id))) == 250
    began = clock.perf_counter()
    upload = caseload_visits(db, D0)
    took = clock.perf_counter() - began
    ours = read_visits(CsvSource(upload.name, upload.data))
    assert ours == read_visits(SAMPLE_DIR / "visits.csv")
    people, plans = read_caseload(SAMPLE_DIR / "patients.csv", SAMPLE_DIR / "careplans.csv")
    assert ours == tuple(expand(people, plans, D0))
    print(f"250 patients' day expanded from the database in {took:.3f} s")
    assert took < 1.0
    listed = active_caseload(db, D0)
    assert len(listed) == 250 and sum(len(e.today) for e in listed) == len(plans)


def test_a_day_is_planned_from_the_caseload_while_today_is_live(db, users, published,
                                                                 small_rota):  # fmt: skip
    """Today is imported and published; tomorrow is planned from the caseload with its own
    staff, solved, and the rota passes the checker; today's import and rota are untouched."""
    from scheduler.domain.check import check
    from solver import SolveOptions, solve
    from web.models import Day, DayImport, RotaVersion
    from web.services.caseload_day import plan_from_caseload, planned_visits
    from web.services.days import Upload, problem_for
    from web.services.rotas import save_draft

    admit(db, details(), q8h(), D1, users["coord"])
    admit(db, details("P9002", nhs_number="", lat="51.80", lon="-0.20", carer_gender=""),
          plan_items([{"regimen": "obs", "frequency": "2"}], "P9002", D1), D1,
          users["coord"])  # fmt: skip
    db.commit()
    staff = with_genders(shifted((DATA / "clinicians.csv").read_text(), 1)).encode()
    with pytest.raises(InputError) as err:  # today's staff for tomorrow: the wrong file
        plan_from_caseload(db, D1, Upload("clinicians.csv", (DATA / "clinicians.csv").read_bytes()),
                           users["coord"])  # fmt: skip
    assert "no shift starts on" in err.value.issues[0].message
    db.rollback()
    imp = plan_from_caseload(db, D1, Upload("roster.csv", staff), users["coord"])
    db.commit()
    assert (imp.visits_count, imp.patients_count, imp.visits_name) == (5, 2, "caseload-2026-11-24.csv")
    assert db.scalar(select(func.count(DayImport.id))) == 2
    today = db.scalar(select(Day).where(Day.date == D0))
    assert [v.status for v in db.scalars(select(RotaVersion).where(RotaVersion.day_id == today.id))] == ["published"]
    problem = problem_for(imp)
    rota = solve(problem, SolveOptions(time_limit_s=10, max_iterations=300)).rota
    report = check(problem, rota)
    assert report.ok, report.violations
    assert not rota.unassigned
    draft = save_draft(db, imp, rota, users["coord"])
    db.commit()
    [day] = planned_visits(db, "P9001", D1)
    assert day.date == D1 and day.version == f"draft {draft.id}"
    assert [v.visit_type for v in day.visits] == ["IV antibiotic dose (q8h)"] * 3
    # a female nurse asked for; not alone after dark: 22:00 and 06:00 double-handed, by women
    assert [len(v.clinicians) for v in day.visits] == [1, 2, 2]
    female = {"C001", "C003", "C005", "C007", "C009", "C011", "C012"}  # with_genders' default
    assert all({c.split()[0] for c in v.clinicians} <= female and v.start is not None
               for v in day.visits)  # fmt: skip
    assert audits(db, "caseload_plan_day") == [(
        "caseload_plan_day", f"{D1}: import {imp.id}, 5 visits for 2 patients from the caseload")]
