"""A patient's details changed after admission (``web.services.caseload_details``): checked by
the admission's own rules, a new postcode placed again offline, stored only over what was
read, audited by field name, and carried to the next day planned from the caseload, whose
rota the independent checker passes."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select, update

from scheduler.domain.check import check
from solver import SolveOptions, solve
from tests.support.web import DATA, DAY, shifted, with_genders
from web.models import AuditLog, Patient
from web.services.caseload import admit, discharge, find_patient
from web.services.caseload_day import days_with_visits, plan_from_caseload
from web.services.caseload_details import ACTION, change_details, stored_cells
from web.services.caseload_input import CaseloadError, patient_details, plan_items
from web.services.days import Upload, day_inputs, problem_for

D0 = date.fromisoformat(DAY)
D1, D2 = D0 + timedelta(days=1), D0 + timedelta(days=2)
NHS, OTHER_NHS = "9990000018", "9990000026"  # numbers the NHS never issues
ADA = {"patient_id": "P9001", "lat": "51.75", "lon": "-0.33", "name": "Ada Test",
       "nhs_number": NHS, "postcode": "AL1 3HD", "carer_gender": "F",
       "address": "1 Synthetic Row, St Albans", "access_notes": "key safe 1234",
       "risk_flags": "dog;no_lone_after_dark"}  # fmt: skip
#: Strings of hers that must never reach the audit log.
SECRETS = ("Ada", NHS, "Synthetic", "AL1", "key safe", "Welwyn", "AL8", "Parking", "4321")


@pytest.fixture
def ada(db, users) -> Patient:
    admit(db, patient_details(ADA), plan_items(
        [{"regimen": "iv_antibiotic", "frequency": "q8h", "first_time": "06:00"}], "P9001", D1),
        D1, users["coord"])  # fmt: skip
    db.commit()
    return the(db)


def the(db, pid: str = "P9001") -> Patient:
    db.expire_all()
    found = find_patient(db, pid)
    assert found is not None
    return found


def audits(db) -> list[str]:
    db.expire_all()
    return [a.detail for a in db.scalars(select(AuditLog).where(AuditLog.action == ACTION)
                                         .order_by(AuditLog.id))]  # fmt: skip


def gazetteer(app, postcode_file):
    from web.services.postcodes import gazetteer as configured

    with app.app_context():
        return configured()


def test_a_new_postcode_places_her_again_and_the_audit_names_fields_only(
        app, db, users, ada, postcode_file):  # fmt: skip
    done = change_details(db, ada, {"address": "9 Other Row, St Albans", "postcode": "al1 3jb"},
                          users["coord"], "10.0.0.1", gazetteer=gazetteer(app, postcode_file))
    db.commit()
    assert done.changed == ("address", "postcode", "lat", "lon") and done.warnings == ()
    row = the(db)
    assert (row.address, row.postcode, row.lat, row.lon) == (
        "9 Other Row, St Albans", "AL1 3JB", 51.754, -0.334)  # the postcode file's point
    assert audits(db) == ["P9001: details changed: address, postcode, lat, lon"]
    entry = db.scalar(select(AuditLog).where(AuditLog.action == ACTION))
    assert (entry.username, entry.ip) == ("coord", "10.0.0.1")


def test_a_form_sending_the_stored_place_back_with_a_new_postcode_is_placed_again(
        app, db, users, ada, postcode_file):  # fmt: skip
    form = stored_cells(ada) | {"postcode": "AL1 3JB"}
    done = change_details(db, ada, form, users["coord"],
                          gazetteer=gazetteer(app, postcode_file))  # fmt: skip
    db.commit()
    assert done.changed == ("postcode", "lat", "lon")
    assert (the(db).lat, the(db).lon) == (51.754, -0.334)


def test_a_new_place_given_with_the_postcode_is_kept_and_needs_no_postcode_file(db, users, ada):
    done = change_details(db, ada, {"postcode": "AL8 6AA", "lat": 51.80, "lon": "-0.20"},
                          users["coord"])  # fmt: skip
    db.commit()
    assert done.changed == ("postcode", "lat", "lon")
    assert (the(db).postcode, the(db).lat, the(db).lon) == ("AL8 6AA", 51.80, -0.20)


def test_a_postcode_the_file_lacks_goes_to_its_district_centre_with_a_warning(
        app, db, users, ada, postcode_file):  # fmt: skip
    done = change_details(db, ada, {"postcode": "AL1 9QQ"}, users["coord"],
                          gazetteer=gazetteer(app, postcode_file))  # fmt: skip
    db.commit()
    [warning] = done.warnings
    assert "AL1 9QQ is not in ONSPD_AL.csv" in warning and "district AL1" in warning
    assert the(db).lat == pytest.approx(51.753) and the(db).postcode == "AL1 9QQ"


def test_without_a_postcode_file_a_new_postcode_alone_is_refused_naming_what_to_give(
        db, users, ada):  # fmt: skip
    with pytest.raises(CaseloadError) as err:
        change_details(db, ada, {"postcode": "AL1 3JB"}, users["coord"])
    [(field, why)] = err.value.problems
    assert err.value.status == 422 and field == "lat" and "HAH_POSTCODE_FILE" in why
    db.rollback()
    assert the(db).postcode == "AL1 3HD" and audits(db) == []


BAD = [
    {"nhs_number": "943 476 5918"},
    {"lat": "0", "lon": "0"},
    {"carer_gender": "X"},
    {"risk_flags": "Dog!"},
    {"excluded_clinicians": "C004", "preferred_clinician": "C004"},
    {"postcode": "ZZZ", "lat": "51.7", "lon": "-0.3"},
    {"name": "n" * 201},
    {"access_notes": "k" * 2001},
]


@pytest.mark.parametrize("bad", BAD, ids=lambda b: ",".join(b))
def test_a_bad_value_is_refused_in_the_admissions_words_and_nothing_is_stored(db, users, ada,
                                                                              bad):  # fmt: skip
    with pytest.raises(CaseloadError) as err:
        admit_check = patient_details(ADA | bad)  # what admitting her so would say
        pytest.fail(f"admission accepted {bad}: {admit_check}")
    said_at_admission = err.value.problems
    with pytest.raises(CaseloadError) as err:
        change_details(db, ada, bad, users["coord"])
    assert err.value.status == 422
    assert err.value.problems == said_at_admission and said_at_admission
    db.rollback()
    row = the(db)
    assert stored_cells(row) == stored_cells(ada) and audits(db) == []


def test_every_column_of_a_patient_but_her_id_can_be_changed():
    from web.services.caseload_details import EDITABLE
    from web.services.caseload_input import PATIENT_COLUMNS

    assert sorted(EDITABLE) == sorted(set(PATIENT_COLUMNS) - {"patient_id"})


def test_fields_that_are_not_details_and_the_patient_id_are_refused(db, users, ada):
    with pytest.raises(CaseloadError) as err:
        change_details(db, ada, {"colour": "red", "patient_id": "P9002"}, users["coord"])
    assert [f for f, _ in err.value.problems] == ["colour", "patient_id"]
    assert "never changes" in err.value.problems[1][1]
    same_id = change_details(db, ada, {"patient_id": "P9001", "name": "Ada Q. Test"},
                             users["coord"])  # fmt: skip
    assert same_id.changed == ("name",)


def test_an_nhs_number_another_patient_holds_is_a_conflict(db, users, ada):
    admit(db, patient_details({"patient_id": "P9002", "lat": "51.8", "lon": "-0.2",
                               "nhs_number": OTHER_NHS}), [], D1, users["coord"])  # fmt: skip
    db.commit()
    with pytest.raises(CaseloadError) as err:
        change_details(db, the(db), {"nhs_number": OTHER_NHS}, users["coord"])
    assert err.value.status == 409
    assert err.value.problems == [("nhs_number", "is already the NHS number of patient P9002")]
    db.rollback()
    done = change_details(db, the(db), {"nhs_number": ""}, users["coord"])  # cleared: allowed
    db.commit()
    assert done.changed == ("nhs_number",) and the(db).nhs_number is None


def test_nothing_changed_writes_and_audits_nothing(db, users, ada):
    stamp = ada.updated_at
    done = change_details(db, ada, stored_cells(ada) | {"postcode": "al1 3hd",
                                                        "risk_flags": "no_lone_after_dark;dog"},
                          users["coord"])  # fmt: skip
    db.commit()
    assert done.changed == () and audits(db) == [] and the(db).updated_at == stamp


def test_a_purged_patient_cannot_be_changed(db, users, ada):
    from web.models import utcnow

    discharge(db, ada, D1, "", users["coord"])
    db.execute(update(Patient).values(name="", nhs_number=None, address="", postcode="",
                                      purged_at=utcnow()))  # fmt: skip
    db.commit()
    with pytest.raises(CaseloadError) as err:
        change_details(db, the(db), {"address": "1 New Row"}, users["coord"])
    assert err.value.status == 409 and "purged on" in err.value.problems[0][1]
    assert "admitting them again" in err.value.problems[0][1]


def test_a_discharged_patient_not_yet_purged_can_still_be_corrected(db, users, ada):
    discharge(db, ada, D1, "", users["coord"])
    db.commit()
    assert change_details(db, the(db), {"access_notes": "Parking at the back"},
                          users["coord"]).changed == ("access_notes",)  # fmt: skip


def test_a_change_made_since_the_page_was_drawn_or_since_read_is_not_overwritten(
        app, db, users, ada):  # fmt: skip
    drawn = ada.updated_at
    other = app.extensions["hah_db"].session()  # another coordinator, or a retention purge
    try:
        patient = the(db)  # read by this request
        other.execute(update(Patient).values(access_notes="Dog in the garden",
                                             updated_at=drawn + timedelta(seconds=1)))
        other.commit()
        with pytest.raises(CaseloadError) as err:
            change_details(db, patient, {"name": "Ada Q. Test"}, users["coord"])
        assert err.value.status == 409 and "a moment ago" in err.value.problems[0][1]
        db.rollback()
        assert (the(db).access_notes, the(db).name) == ("Dog in the garden", "Ada Test")
        with pytest.raises(CaseloadError) as err:  # the page was drawn before that change
            change_details(db, the(db), {"name": "Ada Q. Test"}, users["coord"], seen=drawn)
        assert err.value.status == 409 and "since this page was opened" in err.value.problems[0][1]
    finally:
        other.close()
    assert audits(db) == []


def test_a_purge_between_reading_and_writing_is_never_undone(app, db, users, ada):
    from web.services.retention import purge_patient

    discharge(db, ada, D1, "", users["coord"])
    db.commit()
    patient = the(db)  # read by the edit, before the purge
    assert purge_patient(app.extensions["hah_db"], patient.id, D2, patient.updated_at)
    with pytest.raises(CaseloadError) as err:
        change_details(db, patient, {"name": "Ada Q. Test"}, users["coord"])
    assert err.value.status == 409
    db.rollback()
    row = the(db)
    assert row.purged_at is not None and (row.name, row.address, row.nhs_number) == ("", "", None)


def test_the_change_reaches_the_next_day_planned_and_its_checked_rota(db, users, ada):
    """Tomorrow planned with her details as admitted (a female nurse, not alone after dark),
    then her address, place, access notes, carer's gender (now male), risk flags and
    excluded clinicians changed: the change names tomorrow as planned before it; planned
    again, every visit carries the new details, and the solved rota passes the independent
    checker with the male nurses only, never the one she excluded."""
    staff = Upload("roster.csv", with_genders(shifted((DATA / "clinicians.csv").read_text(),
                                                      1)).encode())  # fmt: skip
    before = plan_from_caseload(db, D1, staff, users["coord"])
    db.commit()
    assert {(v.carer_gender, v.staff) for v in day_inputs(before)[0]} == {("F", 1), ("F", 2)}
    done = change_details(db, the(db), {
        "address": "2 Synthetic Close, Welwyn", "postcode": "AL8 6AA", "lat": "51.80",
        "lon": "-0.20", "access_notes": "Parking at the back; key safe 4321",
        "carer_gender": "M", "risk_flags": "dog", "excluded_clinicians": "C008",
    }, users["coord"], today=D0)  # fmt: skip
    db.commit()
    assert done.already_planned == (D1,)
    assert days_with_visits(db, "P9001", D2) == []
    after = plan_from_caseload(db, D1, staff, users["coord"])
    db.commit()
    visits = [v for v in day_inputs(after)[0] if v.patient_id == "P9001"]
    assert len(visits) == 3
    for v in visits:
        assert (v.location.lat, v.location.lon, v.address) == (51.80, -0.20, "2 Synthetic Close, Welwyn")
        assert (v.carer_gender, v.excluded_clinicians, v.staff) == ("M", frozenset({"C008"}), 1)
        assert v.access_notes == "Parking at the back; key safe 4321" and v.risk_flags == {"dog"}
    problem = problem_for(after)
    rota = solve(problem, SolveOptions(time_limit_s=20, max_iterations=300)).rota
    report = check(problem, rota)
    assert report.ok, [str(x) for x in report.violations]
    gives = {vid: r.clinician_id for r in rota.routes for vid in r.visit_ids}
    assert not rota.unassigned and set(gives) == {v.visit_id for v in visits}
    male = {"C002", "C004", "C006", "C008", "C010"}  # with_genders' default: the others are F
    assert set(gives.values()) <= male - {"C008"}
    log = " ".join(audits(db))
    assert log == ("P9001: details changed: address, postcode, lat, lon, access_notes, "
                   "risk_flags, excluded_clinicians, carer_gender")
    every = " ".join(d for d in db.scalars(select(AuditLog.detail)))
    assert not any(s in every for s in SECRETS), every
    assert db.scalar(select(func.count(Patient.id))) == 1


def test_correcting_a_discharged_patient_does_not_postpone_her_purge(app, db, users, ada):
    from web.services.retention import purge_patient

    discharge(db, ada, D1, "", users["coord"])
    db.commit()
    change_details(db, the(db), {"access_notes": "Parking at the back"}, users["coord"])
    db.commit()
    row = the(db)
    assert purge_patient(app.extensions["hah_db"], row.id, D2, row.updated_at)
    assert the(db).purged_at is not None and the(db).access_notes == ""
