"""The patient's record in patients.csv (NHS number, name, postcode, access notes, risk
flags, excluded clinicians, carer gender) and what the care-plan expansion makes of it: every
visit carries it, ``two_staff`` doubles every visit, ``no_lone_after_dark`` trims a window to
the light or doubles a night visit. NHS numbers are in the 999 test range."""

from __future__ import annotations

from datetime import date, time, timedelta

import pytest

from scheduler.domain.careplan import (
    CarePlanItem,
    Patient,
    expand,
    patients_csv_text,
    read_patients,
    visits_csv_text,
)
from scheduler.domain.daylight import in_light, light_span
from scheduler.domain.errors import InputError
from scheduler.domain.formats.day import read_visits
from scheduler.domain.formats.tabular import CsvSource
from scheduler.domain.localtime import at_local, hm
from scheduler.domain.model import Location

WINTER = date(2026, 12, 21)  # dusk about 16:33 in Hertfordshire
HOME = Location(51.80, -0.20)
HEAD = ("patient_id,lat,lon,address,nhs_number,name,postcode,access_notes,risk_flags,"
        "excluded_clinicians,carer_gender")  # fmt: skip


def _patients(*rows: str) -> CsvSource:
    return CsvSource.from_text("\n".join([HEAD, *rows]) + "\n", "patients.csv")


def _issues(source: CsvSource) -> list[tuple[int | None, str | None, str]]:
    with pytest.raises(InputError) as err:
        read_patients(source)
    return [(i.row, i.column, i.message) for i in err.value.issues]


def test_the_patients_record_is_read_from_patients_csv():
    (p,) = read_patients(_patients(
        'P1,51.8,-0.2,1 Elm Way,999 000 0018,Ann Example,AL8 6AA,"Key safe 4321, side gate",'
        "Dog;no lone after dark,C12;C7,female"
    ))  # fmt: skip
    assert p.nhs_number == "9990000018"  # normalised to its ten digits
    assert (p.name, p.postcode, p.address) == ("Ann Example", "AL8 6AA", "1 Elm Way")
    assert p.access_notes == "Key safe 4321, side gate"
    assert p.risk_flags == {"dog", "no_lone_after_dark"}
    assert p.excluded_clinicians == {"C12", "C7"} and p.carer_gender == "F"


def test_bad_nhs_numbers_flags_and_genders_are_named_by_row_and_column():
    found = _issues(_patients(
        "P1,51.8,-0.2,,9990000017,,,,,,",
        "P2,51.8,-0.2,,999000001,,,,,,",
        "P3,51.8,-0.2,,9990000018,,,,,,",
        "P4,51.8,-0.2,,999-000-0018,,,,,,",
        "P5,51.8,-0.2,,,,,,snake,,X",
    ))  # fmt: skip
    assert found == [
        (2, "nhs_number", "the NHS number fails the NHS number check digit: a digit is "
                          "mistyped, or two are swapped"),
        (3, "nhs_number", "the NHS number has 9 digits; an NHS number has 10"),
        (5, "nhs_number", "the same NHS number as row 4"),
        (6, "risk_flags", "'snake' is not a known risk flag (known: aggression, dog, "
                          "infection_control, no_lone_after_dark, oxygen, smoker, two_staff)"),
        (6, "carer_gender", "'X' is not F or M (empty: no request)"),
    ]  # fmt: skip


def test_a_preferred_clinician_the_patient_excluded_is_refused():
    text = "patient_id,lat,lon,preferred_clinician,excluded_clinicians\nP1,51.8,-0.2,C7,C7;C9\n"
    with pytest.raises(InputError) as err:
        read_patients(CsvSource.from_text(text, "patients.csv"))
    assert [str(i) for i in err.value.issues] == [
        "patients.csv, row 2, column preferred_clinician: C7 is excluded by the patient"
    ]


def test_patients_round_trip_through_the_writer():
    people = (
        Patient("P1", HOME, "1 Elm Way", "C3", nhs_number="9990000018", name="Ann Example",
                postcode="AL8 6AA", access_notes='=key "safe", 4321',
                risk_flags=frozenset({"dog", "two_staff"}),
                excluded_clinicians=frozenset({"C12", "C7"}), carer_gender="F"),
        Patient("P2", Location(51.75, -0.3)),
    )  # fmt: skip
    text = patients_csv_text(people)
    assert read_patients(CsvSource.from_text(text, "patients.csv")) == people
    plain = patients_csv_text(people[1:])
    assert plain.splitlines()[0] == "patient_id,lat,lon,address,preferred_clinician"


def test_every_visit_carries_the_patients_record():
    p = Patient("P1", HOME, excluded_clinicians=frozenset({"C12"}), carer_gender="F",
                access_notes="Key safe 4321", risk_flags=frozenset({"dog", "oxygen"}))  # fmt: skip
    plan = [CarePlanItem("P1", "iv_antibiotic", "q8h", time(6, 0)),
            CarePlanItem("P1", "obs", "2"), CarePlanItem("P1", "iv_fluids")]  # fmt: skip
    visits = expand([p], plan, date(2026, 11, 23))
    assert len(visits) == 3 + 2 + 2
    for v in visits:
        assert v.excluded_clinicians == {"C12"} and v.carer_gender == "F"
        assert v.access_notes == "Key safe 4321" and v.risk_flags == {"dog", "oxygen"}
        assert v.staff == 1  # informational flags change nothing in the plan
    assert read_visits(CsvSource.from_text(visits_csv_text(visits), "visits.csv")) == tuple(visits)


def test_two_staff_makes_every_visit_of_the_patient_double_handed():
    p = Patient("P1", HOME, risk_flags=frozenset({"two_staff"}))
    plan = [CarePlanItem("P1", "iv_antibiotic", "q12h", time(8, 0), staff=1),
            CarePlanItem("P1", "bloods")]  # fmt: skip
    visits = expand([p], plan, date(2026, 11, 23))
    assert [v.staff for v in visits] == [2, 2, 2]


def test_no_lone_after_dark_trims_to_the_light_or_sends_two():
    """q6h from 10:00 on 21 December (dusk 16:33 at this place): the 10:00 dose is in the
    light, the 16:00 dose is trimmed to end by dusk, the 22:00 and 04:00 doses become
    double-handed; obs at 16:00–20:00 (20 min) keep 16:00–16:13; a day dose with no flag is
    never touched."""
    p = Patient("P1", HOME, risk_flags=frozenset({"no_lone_after_dark"}))
    plan = [CarePlanItem("P1", "iv_antibiotic", "q6h", time(10, 0)),
            CarePlanItem("P1", "obs", "2")]  # fmt: skip
    visits = {v.visit_id: v for v in expand([p], plan, WINTER)}
    span = light_span(HOME, WINTER)
    assert span is not None
    dusk = span[1]
    assert hm(dusk) in ("16:32", "16:33")
    ten, four, ten_pm, four_am = (visits[f"P1-abx-{t}"] for t in ("1000", "1600", "2200", "0400"))
    assert (ten.staff, ten.window.label()) == (1, "09:30–10:30")
    assert four.staff == 1 and four.window.start == at_local(WINTER, 15, 30)
    assert four.window.end + timedelta(minutes=30) <= dusk
    assert four.window.end > dusk - timedelta(minutes=32)  # trimmed no more than needed
    assert (ten_pm.staff, ten_pm.window.label()) == (2, "21:30–22:30")
    assert (four_am.staff, four_am.window.label()) == (2, "03:30–04:30")
    evening_obs = visits["P1-obs-1600"]
    assert evening_obs.staff == 1 and evening_obs.window.start == at_local(WINTER, 16, 0)
    assert in_light(HOME, evening_obs.window.end, evening_obs.window.end + timedelta(minutes=20))
    for v in visits.values():  # every lone visit keeps the nurse in the light, whatever start
        if v.staff == 1:
            assert in_light(HOME, v.window.start, v.window.end + timedelta(minutes=v.duration_min))
    # and the expansion's output is a valid visits.csv (the reader's after-dark rule holds)
    text = visits_csv_text(list(visits.values()))
    assert len(read_visits(CsvSource.from_text(text, "visits.csv"))) == len(visits)


def test_in_june_the_night_doses_stay_lone_visits_in_trimmed_windows():
    """At midsummer it is light from about 03:53 to 22:10 here: the 22:00 dose (21:30–22:30,
    30 min) is trimmed to start by about 21:40, the 04:00 dose (03:30–04:30) to start after
    dawn; nothing needs a second nurse."""
    p = Patient("P1", HOME, risk_flags=frozenset({"no_lone_after_dark"}))
    visits = {v.visit_id: v for v in expand(
        [p], [CarePlanItem("P1", "iv_antibiotic", "q6h", time(10, 0))], date(2026, 6, 21))}
    assert [v.staff for v in visits.values()] == [1, 1, 1, 1]
    late, early = visits["P1-abx-2200"], visits["P1-abx-0400"]
    assert late.window.start == at_local(date(2026, 6, 21), 21, 30)
    assert at_local(date(2026, 6, 21), 21, 36) <= late.window.end <= at_local(date(2026, 6, 21), 21, 44)
    assert early.window.start > at_local(date(2026, 6, 22), 3, 45)
    assert early.window.end == at_local(date(2026, 6, 22), 4, 30)
