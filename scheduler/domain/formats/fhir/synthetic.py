"""Synthetic caseloads and their FHIR bundles, for tests and the import benchmark.

Everything personal is invented: names from short lists, street names, NHS numbers from the
999 range NHS England keeps for testing (never issued to a person) with a correct check
digit, and postcodes made of a real Hertfordshire postcode district (AL1, SG1, WD17, HP1,
EN8, CM23…, the districts of ``synth.TOWNS``) and an invented inward code. Places and
regimens are ``synth.new_patient``'s, so a synthetic bundle is the synthetic service's kind
of caseload.

Each patient's stay is about six days inside the span generated, and some regimens change on
the way, as a caseload does: IV antibiotics stepped down to oral (the IV item ends early), a
q8h schedule stretched to q12h (two items, one ending the day before the next starts).
"""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import date, timedelta
from typing import Any

from scheduler.domain.careplan import CarePlanItem, Patient
from scheduler.domain.formats.fhir.caseload import caseload_bundle
from scheduler.domain.formats.fhir.patients import UNLOCATED
from scheduler.domain.nhs_number import check_digit
from scheduler.domain.synth import FIRST, LAST, new_patient

#: The letters a postcode's inward code uses (never C, I, K, M, O or V).
INWARD_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"
ACCESS_NOTES = ("Key safe by the back door", "Ring the bell twice; the door sticks",
                "Dog in the kitchen: ask for it to be shut away", "Park on the drive")  # fmt: skip


def nhs_number(rng: random.Random, taken: set[str]) -> str:
    """A fresh test-range NHS number (999 …) with its check digit."""
    while True:
        nine = "999" + "".join(str(rng.randrange(10)) for _ in range(6))
        digit = check_digit(nine)
        if digit is not None and nine + str(digit) not in taken:
            taken.add(nine + str(digit))
            return nine + str(digit)


def _postcode(rng: random.Random, district: str) -> str:
    return f"{district} {rng.randrange(10)}{rng.choice(INWARD_LETTERS)}{rng.choice(INWARD_LETTERS)}"


def _changes(rng: random.Random, items: list[CarePlanItem], admitted: date, discharged: date) -> list[CarePlanItem]:
    """The stay's items with its dates, and sometimes a regimen change half-way."""
    out: list[CarePlanItem] = []
    stay = (discharged - admitted).days
    for item in items:
        dated = replace(item, start_date=admitted, end_date=discharged)
        change = rng.random() if item.regimen == "iv_antibiotic" and stay >= 3 else 1.0
        if change < 0.15:  # stepped down to oral: no more IV visits after day 3
            out.append(replace(dated, end_date=admitted + timedelta(days=2)))
        elif change < 0.30 and item.frequency == "q8h":
            switch = admitted + timedelta(days=stay // 2)
            out.append(replace(dated, end_date=switch - timedelta(days=1)))
            out.append(replace(dated, frequency="q12h", start_date=switch))
        else:
            out.append(dated)
    return out


def synthetic_caseload(
    n_patients: int,
    *,
    seed: int = 0,
    start: date = date(2026, 11, 23),
    days: int = 14,
    unlocated_share: float = 0.0,
) -> tuple[tuple[Patient, ...], tuple[CarePlanItem, ...]]:
    """``n_patients`` invented patients admitted over ``days`` days from ``start`` (some
    already in on the first day), each with a stay of four to eight days and the care plan
    ``synth`` gives her; ``unlocated_share`` of them come with a postcode but no place (for
    the postcode geocoder). Same seed, same caseload."""
    rng = random.Random(seed)
    patients: list[Patient] = []
    items: list[CarePlanItem] = []
    taken: set[str] = set()
    for i in range(1, n_patients + 1):
        pid = f"P{i:04d}"
        base, own = new_patient(rng, pid)
        display, _, district = base.address.rpartition(" ")
        admitted = start + timedelta(days=rng.randint(-4, max(days - 3, -4)))
        discharged = admitted + timedelta(days=rng.randint(4, 8))
        gender = "F" if rng.random() < 0.08 else ""
        patients.append(
            Patient(
                pid,
                UNLOCATED if rng.random() < unlocated_share else base.location,
                display,
                nhs_number=nhs_number(rng, taken),
                name=f"{rng.choice(FIRST)} {rng.choice(LAST)}",
                postcode=_postcode(rng, district),
                access_notes=rng.choice(ACCESS_NOTES) if rng.random() < 0.2 else "",
                risk_flags=frozenset({"no_lone_after_dark"}) if rng.random() < 0.05 else frozenset(),
                carer_gender=gender,
            )
        )
        items += _changes(rng, own, admitted, discharged)
    return tuple(patients), tuple(items)


def synthetic_bundle(n_patients: int, **kw: Any) -> dict[str, Any]:
    """``synthetic_caseload``'s caseload as a FHIR R4 bundle (JSON form)."""
    return caseload_bundle(*synthetic_caseload(n_patients, **kw))
