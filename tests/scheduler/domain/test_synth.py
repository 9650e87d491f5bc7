"""The synthetic Hertfordshire service: deterministic, realistic in size, staffable."""

from __future__ import annotations

import filecmp
from datetime import date

import pytest

from scheduler.domain.samples import SAMPLE_DIR
from scheduler.domain.synth import BOX, generate_service, service_day_visits, write_service

D = date(2026, 11, 23)
SAMPLE = SAMPLE_DIR


@pytest.fixture(scope="module")
def service():
    return generate_service(250, 2026, D)


@pytest.fixture(scope="module")
def visits(service):
    return service_day_visits(service, D)


def test_same_seed_same_service_and_another_seed_differs(service):
    """The generator is a pure function of its seed."""
    assert generate_service(250, 2026, D) == service
    assert generate_service(250, 2027, D) != service


def test_about_eleven_hundred_visits_for_250_patients(visits):
    """A 250-patient virtual ward makes roughly 1,100 visits a day, some double-handed."""
    assert 1000 <= len(visits) <= 1200
    assert 10 <= sum(v.staff == 2 for v in visits) <= 60
    assert sum(v.priority == 1 for v in visits) > 400


def test_every_visit_has_a_qualified_clinician_on_shift(service, visits):
    """No visit needs a skill that nobody on shift during its window holds."""
    for v in visits:
        assert any(
            v.skills <= s.skills and s.start <= v.window.end and s.end >= v.window.start
            for s in service.shifts
        ), v.visit_id


def test_everyone_is_in_hertfordshire(service):
    """Patients and bases lie in the county's box (with a small margin for edge towns)."""
    lat0, lat1, lon0, lon1 = BOX
    for p in service.patients:
        assert (
            lat0 - 0.1 <= p.location.lat <= lat1 + 0.1
            and lon0 - 0.1 <= p.location.lon <= lon1 + 0.1
        )


def test_staffing_has_room_for_the_work(service, visits):
    """Visit minutes plus 15 min driving each fit within 85 % of the paid shift minutes."""
    work = sum((v.duration_min + 15) * v.staff for v in visits)
    paid = sum(
        (s.end - s.start).total_seconds() / 60 - (s.rest_break.duration_min if s.rest_break else 0)
        for s in service.shifts
    )
    assert work <= 0.85 * paid


def test_bundled_sample_is_what_the_generator_makes(tmp_path, service):
    """sample_data/ never drifts from its documented command."""
    write_service(service, D, tmp_path)
    for name in ("patients.csv", "careplans.csv", "clinicians.csv", "visits.csv"):
        assert filecmp.cmp(tmp_path / name, SAMPLE / name, shallow=False), name
