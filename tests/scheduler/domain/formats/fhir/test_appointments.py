"""``appointments_bundle``: a checked rota as FHIR R4 Appointment resources that the FHIR
model validates, double-handed visits with both clinicians, times with their offsets."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from fhir.resources.R4B.appointment import Appointment
from fhir.resources.R4B.bundle import Bundle

from scheduler.domain.careplan import Patient
from scheduler.domain.check import check
from scheduler.domain.formats.fhir import appointments_bundle
from scheduler.domain.formats.fhir.codes import (
    CLINICIAN_ID_SYSTEM,
    NHS_NUMBER_SYSTEM,
    PATIENT_ID_SYSTEM,
    VISIT_ID_SYSTEM,
)
from scheduler.domain.model import Rota, Visit, Window
from scheduler.domain.retime import retime
from tests.support.factories import OCTOBER_EVE, grid, make_problem, shift, visit, when
from tests.support.fhir import parsed_resources


def checked_rota(problem, order):
    """The rota with these routes, timed by the one timing rule; it must keep every rule."""
    rota = retime(problem, Rota(()), order)
    report = check(problem, rota)
    assert report.ok, report.violations
    return rota


def day():
    visits = [
        visit("V1", 1, 0, "09:00", "10:00", patient_id="P1", visit_type="IV antibiotic dose (q8h)", priority=1),
        visit("V2", 2, 0, "10:00", "12:00", patient_id="P2", staff=2, visit_type="Double-handed care"),
        visit("V_odd 3", 3, 0, "12:00", "14:00", patient_id="P 3"),
        visit("V4", 9, 9, "15:00", "16:00", patient_id="P4"),
    ]
    shifts = [shift("N1", "08:00", "16:00"), shift("N2", "08:00", "16:00")]
    problem = make_problem(visits, shifts)
    return problem, checked_rota(problem, {"N1": ["V1", "V2", "V_odd 3"], "N2": ["V2"]})


def test_the_days_placed_visits_become_booked_appointments_that_validate():
    problem, rota = day()
    patients = [Patient("P1", grid(1, 0), nhs_number="9990000018")]
    data = appointments_bundle(rota, problem, patients=patients, timestamp=when("2026-11-22T19:00"))
    appointments = parsed_resources(json.dumps(data))  # as a receiver reads it
    assert data["type"] == "collection" and data["timestamp"] == "2026-11-22T19:00:00+00:00"
    assert all(isinstance(a, Appointment) and a.status == "booked" for a in appointments)
    assert [a.identifier[0].value for a in appointments] == ["V1", "V2", "V_odd 3"]  # V4 unassigned
    first = data["entry"][0]["resource"]
    stop = rota.route_of("N1").stops[0]
    assert (first["start"], first["end"]) == ("2026-11-23T09:00:00+00:00", "2026-11-23T09:30:00+00:00")
    assert stop.start == when("2026-11-23T09:00")
    assert first["minutesDuration"] == 30 and first["priority"] == 1
    assert first["serviceType"] == [{"text": "IV antibiotic dose (q8h)"}] and first["description"] == "IV antibiotic dose (q8h)"
    assert first["requestedPeriod"] == [{"start": "2026-11-23T09:00:00+00:00", "end": "2026-11-23T10:00:00+00:00"}]
    patient_ref, nurse = (p["actor"] for p in first["participant"])
    assert patient_ref == {"reference": "Patient/P1", "identifier": {"system": NHS_NUMBER_SYSTEM, "value": "9990000018"}}
    assert nurse == {"reference": "Practitioner/N1", "display": "Nurse N1",
                     "identifier": {"system": CLINICIAN_ID_SYSTEM, "value": "N1"}}  # fmt: skip


def test_a_double_handed_visit_is_one_appointment_with_both_clinicians():
    problem, rota = day()
    data = appointments_bundle(rota, problem)
    (pair,) = [e["resource"] for e in data["entry"] if e["resource"]["identifier"][0]["value"] == "V2"]
    refs = [p["actor"].get("reference") for p in pair["participant"]]
    assert refs == ["Patient/P2", "Practitioner/N1", "Practitioner/N2"]
    starts = {s.start for r in rota.routes for s in r.stops if s.visit_id == "V2"}
    assert len(starts) == 1 and pair["start"] == starts.pop().isoformat(timespec="seconds")


def test_ids_that_are_not_fhir_ids_travel_as_identifiers():
    problem, rota = day()
    data = appointments_bundle(rota, problem)
    (odd,) = [e["resource"] for e in data["entry"] if e["resource"]["identifier"][0]["value"] == "V_odd 3"]
    assert odd["id"].startswith("x-") and odd["identifier"] == [{"system": VISIT_ID_SYSTEM, "value": "V_odd 3"}]
    assert odd["participant"][0]["actor"] == {"identifier": {"system": PATIENT_ID_SYSTEM, "value": "P 3"}}
    again = appointments_bundle(rota, problem)
    assert again == data and "timestamp" not in data  # the same rota, the same bundle
    assert len({e["fullUrl"] for e in data["entry"]}) == 3


def test_on_the_october_night_the_repeated_hour_carries_its_two_offsets():
    """01:30 happens twice on 25 October 2026: the first (BST, +01:00) and, an hour later,
    the second (GMT, +00:00); each appointment says which."""
    night = [shift("N1", "21:00", "31:30", on=OCTOBER_EVE)]
    first, second = when("2026-10-25T01:30+01:00"), when("2026-10-25T01:30+00:00")
    assert second - first == timedelta(hours=1)
    visits = [
        Visit("BST", "P1", grid(1, 0), Window(first, first + timedelta(minutes=10)), 20, priority=1),
        Visit("GMT", "P1", grid(1, 0), Window(second, second + timedelta(minutes=10)), 20, priority=1),
    ]
    problem = make_problem(visits, night)
    rota = checked_rota(problem, {"N1": ["BST", "GMT"]})
    data = appointments_bundle(rota, problem)
    got = [(e["resource"]["start"], e["resource"]["end"]) for e in data["entry"]]
    assert got == [
        ("2026-10-25T01:30:00+01:00", "2026-10-25T01:50:00+01:00"),
        ("2026-10-25T01:30:00+00:00", "2026-10-25T01:50:00+00:00"),
    ]
    assert [a.start for a in parsed_resources(data)] == [first, second]


def test_an_empty_rota_is_an_empty_valid_bundle_and_a_foreign_rota_is_refused():
    problem, rota = day()
    empty = appointments_bundle(checked_rota(problem, {}), problem)
    assert "entry" not in empty and Bundle.model_validate(empty).type == "collection"
    other = make_problem([visit("X1", 1, 0, "09:00", "10:00")], [shift("N1", "08:00", "16:00")])
    with pytest.raises(ValueError, match="visit V1, which is not in the day"):
        appointments_bundle(rota, other)
