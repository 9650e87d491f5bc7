"""Two double works gone, with the answers unchanged: the bulk import of patients.csv checks
each patient by the admit form's rules once (the domain's reader applies them; the import
adds only the database's limits), and planning a day from the caseload reads the staff file
once (its shifts choose the continuity, and the import reports its problems from that same
reading). Each refusal is asserted word for word as it was before the change."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from scheduler.domain import careplan
from scheduler.domain.errors import InputError
from scheduler.domain.formats import day as day_format
from tests.support.web import DATA, DAY, shifted, with_genders
from web.models import DayImport, Patient
from web.services.caseload import admit
from web.services.caseload_day import plan_from_caseload
from web.services.caseload_import import import_caseload
from web.services.caseload_input import patient_details, plan_items
from web.services.days import DayLimits, Upload

D1 = date.fromisoformat(DAY) + timedelta(days=1)
PLANS = b"patient_id,regimen,frequency\nP1,obs,2\nP2,obs,1\n"


@pytest.fixture
def patient_rules(monkeypatch) -> Counter:
    """How many times the admit form's patient rules ran (``careplan._patient``: what both
    ``read_patients`` and ``patient_from_cells`` apply), by patient id."""
    calls: Counter = Counter()
    real = careplan._patient

    def counted(row, *args, **kwargs):
        calls[row.cells.get("patient_id", "")] += 1
        return real(row, *args, **kwargs)

    monkeypatch.setattr(careplan, "_patient", counted)
    return calls


@pytest.fixture
def staff_reads(monkeypatch) -> Counter:
    """How many times each file was parsed as clinicians.csv, by the name it is read under."""
    calls: Counter = Counter()
    real = day_format._read_records

    def counted(source, columns, *args, **kwargs):
        if columns == day_format.CLINICIAN_COLUMNS:
            calls[getattr(source, "name", str(source))] += 1
        return real(source, columns, *args, **kwargs)

    monkeypatch.setattr(day_format, "_read_records", counted)
    return calls


def test_the_bulk_import_checks_each_patient_by_the_rules_once(db, users, patient_rules):
    people = b"patient_id,lat,lon,nhs_number\nP1,51.75,-0.33,943 476 5919\nP2,51.80,-0.20,\n"
    admitted = import_caseload(db, Upload("patients.csv", people), Upload("plans.csv", PLANS),
                               D1, users["coord"])  # fmt: skip
    db.commit()
    assert [a.patient.patient_id for a in admitted] == ["P1", "P2"]
    assert db.scalar(select(Patient.nhs_number).where(Patient.patient_id == "P1")) == "9434765919"
    assert patient_rules == {"P1": 1, "P2": 1}


def test_the_admit_form_still_checks_its_patient_by_the_rules(patient_rules):
    patient_details({"patient_id": "P1", "lat": "51.75", "lon": "-0.33"})
    assert patient_rules == {"P1": 1}


def test_the_bulk_import_refuses_what_the_database_cannot_hold_as_before(db, users):
    """The limits the domain's reader does not know (an id's characters and length, free
    text longer than its column, a clinician id over 64) are still each named on its row and
    column, with the words of before."""
    people = ("patient_id,lat,lon,name,address,access_notes,excluded_clinicians,preferred_clinician\n"
              f"P 1,51.75,-0.33,{'n' * 201},,,,\n"
              f"P2,51.75,-0.33,,{'a' * 1001},{'k' * 2001},{'C' * 70},{'D' * 70}\n").encode()  # fmt: skip
    plans = PLANS.replace(b"\nP1,", b"\nP 1,")
    with pytest.raises(InputError) as err:
        import_caseload(db, Upload("patients.csv", people), Upload("plans.csv", plans), D1,
                        users["coord"])  # fmt: skip
    assert [str(i) for i in err.value.issues] == [
        "patients.csv, row 2, column patient_id: 'P 1': use letters, digits, '-', '_' or '.' (as P0001)",
        "patients.csv, row 2, column name: is 201 characters long; at most 200",
        "patients.csv, row 3, column address: is 1,001 characters long; at most 1,000",
        "patients.csv, row 3, column access_notes: is 2,001 characters long; at most 2,000",
        "patients.csv, row 3, column excluded_clinicians: 'CCCCCCCCCCCCCCCCCCCC'…: a clinician id has at most 64 characters",
        "patients.csv, row 3, column preferred_clinician: a clinician id has at most 64 characters",
    ]  # fmt: skip
    db.rollback()
    assert db.scalar(select(func.count(Patient.id))) == 0


def _caseload(db, users) -> None:
    admit(db, patient_details({"patient_id": "P9001", "lat": "51.75", "lon": "-0.33"}),
          plan_items([{"regimen": "iv_antibiotic", "frequency": "q8h", "first_time": "06:00"}],
                     "P9001", D1), D1, users["coord"])  # fmt: skip
    db.commit()


STAFF = with_genders(shifted((DATA / "clinicians.csv").read_text(), 1))


def test_planning_a_day_reads_the_staff_file_once(db, users, staff_reads):
    _caseload(db, users)
    imp = plan_from_caseload(db, D1, Upload("roster.csv", STAFF.encode()), users["coord"])
    db.commit()
    assert (imp.visits_count, imp.clinicians_count, imp.clinicians_name) == (3, 12, "roster.csv")
    assert staff_reads == {"roster.csv": 1}


def test_a_bad_staff_file_is_refused_as_before_from_its_one_reading(db, users, staff_reads):
    _caseload(db, users)
    broken = STAFF.replace("2026-11-24T07:00", "soon", 1).replace(",Watford", ",", 1)
    with pytest.raises(InputError) as err:
        plan_from_caseload(db, D1, Upload("my roster.csv", broken.encode()), users["coord"])
    assert [str(i) for i in err.value.issues] == [
        "my_roster.csv, row 2, column shift_start: 'soon' is not a date-time; write it as YYYY-MM-DDTHH:MM",
    ]  # fmt: skip
    assert staff_reads == {"my_roster.csv": 1}
    db.rollback()
    assert db.scalar(select(func.count(DayImport.id))) == 0


def test_the_order_of_refusals_is_kept(db, users):
    """An empty caseload is named before a bad staff file (the visits come first), and a
    staff file over ``HAH_MAX_SHIFTS`` by the size limit, as before."""
    broken = STAFF.replace("2026-11-24T07:00", "soon", 1).encode()
    with pytest.raises(InputError) as err:
        plan_from_caseload(db, D1, Upload("roster.csv", broken), users["coord"])
    assert [str(i) for i in err.value.issues] == [
        "caseload: no care plan on the caseload has a visit on 2026-11-24: admit patients, "
        "or choose another day"]  # fmt: skip
    _caseload(db, users)
    with pytest.raises(InputError) as err:
        plan_from_caseload(db, D1, Upload("roster.csv", STAFF.encode()), users["coord"],
                           limits=DayLimits(shifts=5))  # fmt: skip
    assert [str(i) for i in err.value.issues] == [
        "roster.csv: 12 shifts: a day may hold at most 5 (HAH_MAX_SHIFTS); is this the right file?"]
