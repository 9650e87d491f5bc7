"""The FHIR round trip of issue 14: a caseload bundle imported, tomorrow's visits expanded
from it and planned, the rota checked, and the day's appointments exported as FHIR
Appointment resources that the FHIR model validates."""

from __future__ import annotations

import json
import random
from datetime import date

from scheduler.domain.careplan import expand
from scheduler.domain.formats.fhir import appointments_bundle, read_bundle
from scheduler.domain.formats.fhir.codes import NHS_NUMBER_SYSTEM
from scheduler.domain.formats.fhir.synthetic import synthetic_bundle
from scheduler.domain.problem import build_problem
from scheduler.domain.synth import roster_shifts
from scheduler.usecases.plan_day import SolveOptions, plan_day
from tests.support.fhir import parsed_resources, source


def test_a_bundle_in_a_checked_rota_out_as_valid_appointments():
    tomorrow = date(2026, 11, 24)
    data = json.dumps(synthetic_bundle(14, seed=11, start=date(2026, 11, 22), days=3))
    patients, items = read_bundle(source(data, "caseload.json"))
    visits = expand(patients, items, tomorrow)
    assert len(visits) >= 14
    staffing = {"early": {"RN6": 2}, "late": {"RN6": 2}, "night": {"RN6": 1}, "long": {"AP": 1}}
    shifts = roster_shifts(random.Random(1), staffing, tomorrow, list(patients))
    plan = plan_day(build_problem(visits, shifts), SolveOptions(time_limit_s=5, max_iterations=1500))
    assert plan.report.ok, plan.report.violations
    placed = plan.rota.assigned_visit_ids
    assert placed

    exported = appointments_bundle(plan.rota, plan.problem, patients=patients)
    appointments = parsed_resources(json.dumps(exported))
    assert sorted(a.identifier[0].value for a in appointments) == sorted(placed)
    nhs = {p.patient_id: p.nhs_number for p in patients}
    by_id = {v.visit_id: v for v in visits}
    for a in appointments:
        visit = by_id[a.identifier[0].value]
        patient = a.participant[0].actor
        assert patient.reference == f"Patient/{visit.patient_id}"
        assert (patient.identifier.system, patient.identifier.value) == (NHS_NUMBER_SYSTEM, nhs[visit.patient_id])
        assert len(a.participant) == 1 + visit.staff
        assert visit.window.start <= a.start <= visit.window.end
