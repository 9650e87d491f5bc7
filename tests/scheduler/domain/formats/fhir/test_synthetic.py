"""Synthetic caseloads and bundles: invented people with valid test-range NHS numbers and
Hertfordshire postcodes, stays that change regimen, and a bundle the FHIR model accepts."""

from __future__ import annotations

import random
import re
from datetime import date

import pytest

from scheduler.domain.careplan import CarePlanItem, Patient
from scheduler.domain.formats.fhir.caseload import caseload_bundle
from scheduler.domain.formats.fhir.patients import UNLOCATED
from scheduler.domain.formats.fhir.synthetic import nhs_number, synthetic_bundle, synthetic_caseload
from scheduler.domain.model import Location
from scheduler.domain.nhs_number import is_valid
from scheduler.domain.synth import TOWNS
from tests.support.fhir import parsed_resources


def test_synthetic_nhs_numbers_are_valid_unique_and_from_the_test_range():
    rng, taken = random.Random(3), set[str]()
    numbers = [nhs_number(rng, taken) for _ in range(500)]
    assert len(set(numbers)) == 500 and all(n.startswith("999") and is_valid(n) for n in numbers)


def test_a_synthetic_caseload_has_stays_of_days_with_some_regimens_changing():
    patients, items = synthetic_caseload(120, seed=5, unlocated_share=0.1)
    districts = {t[4] for t in TOWNS}
    assert all(re.fullmatch(r"[A-Z]{1,2}\d{1,2} \d[A-Z]{2}", p.postcode) and p.postcode.split()[0] in districts for p in patients)
    assert 0 < sum(p.location == UNLOCATED for p in patients) < 30
    stays: dict[str, tuple[date, date]] = {}
    for i in items:
        assert i.start_date is not None and i.end_date is not None
        start, end = stays.get(i.patient_id, (i.start_date, i.end_date))
        stays[i.patient_id] = (min(start, i.start_date), max(end, i.end_date))
    lengths = [(end - start).days for start, end in stays.values()]
    # Four to eight days; only an antibiotic stepped down to oral with nothing else ends sooner.
    assert all(2 <= n <= 8 for n in lengths) and sum(n >= 4 for n in lengths) > 0.8 * len(lengths)
    by_patient: dict[str, list[CarePlanItem]] = {}
    for i in items:
        by_patient.setdefault(i.patient_id, []).append(i)
    stepped = [own for own in by_patient.values() if [i.frequency for i in own if i.regimen == "iv_antibiotic"] == ["q8h", "q12h"]]
    assert stepped, "some q8h schedules are stretched to q12h"
    for own in stepped:
        q8, q12 = (i for i in own if i.regimen == "iv_antibiotic")
        assert q8.end_date is not None and q12.start_date is not None
        assert (q12.start_date - q8.end_date).days == 1


def test_a_synthetic_bundle_is_valid_fhir_r4():
    kinds = {r.get_resource_type() for r in parsed_resources(synthetic_bundle(30, seed=2))}
    assert kinds == {"Patient", "CarePlan", "ServiceRequest"}


def test_what_a_bundle_cannot_carry_is_refused_not_dropped():
    p = Patient("P1", Location(51.8, -0.2), "1 Test Road", nhs_number="9990000018", postcode="AL1 1AA")
    with pytest.raises(ValueError, match="does not carry tolerance_min"):
        caseload_bundle([p], [CarePlanItem("P1", "obs", "2", tolerance_min=15)])
    with pytest.raises(ValueError, match="does not carry preferred_clinician"):
        caseload_bundle([Patient("P1", Location(51.8, -0.2), preferred_clinician="N1")], [])
    with pytest.raises(ValueError, match="not a FHIR id"):
        caseload_bundle([Patient("P 1", Location(51.8, -0.2))], [])
    with pytest.raises(ValueError, match="not among the patients"):
        caseload_bundle([p], [CarePlanItem("P2", "obs")])
