"""``read_bundle``: what a UK Core bundle's Patient, CarePlan and ServiceRequest resources
become (patients and care plan items that ``careplan.expand`` turns into a day's visits)."""

from __future__ import annotations

import json
from datetime import date, time

import pytest

from scheduler.domain.careplan import CarePlanItem, expand
from scheduler.domain.errors import InputError
from scheduler.domain.formats.fhir import read_bundle
from scheduler.domain.formats.fhir.caseload import caseload_bundle
from scheduler.domain.formats.fhir.codes import (
    ACCESS_NOTES_URL,
    CARER_GENDER_URL,
    EXCLUDED_CLINICIAN_URL,
    LINE_URL,
    NHS_NUMBER_SYSTEM,
    REGIMEN_SYSTEM,
    RISK_FLAG_URL,
)
from scheduler.domain.formats.fhir.patients import UNLOCATED, is_located, locate
from scheduler.domain.formats.fhir.synthetic import synthetic_caseload
from scheduler.domain.localtime import hm
from scheduler.domain.model import Location
from tests.support.fhir import (
    NHS,
    antibiotic,
    bundle,
    care_plan,
    one_patient,
    patient,
    request,
    source,
)

D = date(2026, 11, 23)


def only_item(*resources) -> CarePlanItem:
    (item,) = read_bundle(source(bundle(*resources))).items
    return item


def test_a_patient_with_an_antibiotic_plan_is_read_as_the_caseload_files_hold_her():
    patients, items = read_bundle(one_patient())
    (p,) = patients
    assert (p.patient_id, p.nhs_number, p.name, p.postcode) == ("pat-1", NHS[0], "Ada Testperson", "AL1 3XY")
    assert p.address == "1 Rowan Close, St Albans"
    assert p.location == Location(51.752, -0.339)
    assert items == (
        CarePlanItem("pat-1", "iv_antibiotic", "q8h", time(6, 0), start_date=date(2026, 11, 23), end_date=date(2026, 11, 28)),
    )
    visits = expand(patients, items, D)
    # The planning day runs 07:00 to 07:00: 14:00, 22:00 and the next morning's 06:00, ± 30 min.
    assert [hm(v.window.start) for v in visits] == ["13:30", "21:30", "05:30"]
    assert {v.priority for v in visits} == {1} and {v.skills for v in visits} == {frozenset({"IV"})}
    assert expand(patients, items, date(2026, 11, 29)) == []  # after the plan's period


def test_a_generated_caseload_reads_back_exactly_and_expands_into_visits():
    """The round trip: synthetic caseload → FHIR JSON → read_bundle gives the same patients
    and items (dates, regimen changes, PICC lines, preferences), so a day expands the same."""
    patients, items = synthetic_caseload(40, seed=7)
    data = json.dumps(caseload_bundle(patients, items))
    read = read_bundle(source(data))
    assert read.patients == patients and read.items == items
    assert {i.regimen for i in items} >= {"iv_antibiotic", "obs"}
    assert any(i.line == "picc" for i in items) and any(p.carer_gender for p in patients)
    day = date(2026, 11, 26)
    visits = expand(read.patients, read.items, day)
    assert visits and visits == expand(patients, items, day)


@pytest.mark.parametrize(
    ("repeat", "frequency"),
    [
        ({"frequency": 4, "period": 1, "periodUnit": "d"}, "q6h"),
        ({"frequency": 1, "period": 8, "periodUnit": "h"}, "q8h"),
        ({"frequency": 3, "period": 24, "periodUnit": "h"}, "q8h"),
        ({"frequency": 2, "period": 1, "periodUnit": "d"}, "q12h"),
        ({"period": 720, "periodUnit": "min"}, "q12h"),
        ({"frequency": 1, "period": 1, "periodUnit": "d"}, "q24h"),
        ({"frequency": 7, "period": 1, "periodUnit": "wk"}, "q24h"),
    ],
)
def test_an_antibiotic_interval_comes_from_frequency_per_period(repeat, frequency):
    item = only_item(patient(), care_plan(), antibiotic(repeat={**repeat, "timeOfDay": ["09:30:00"]}))
    assert (item.frequency, item.first_time) == (frequency, time(9, 30))


def test_obs_fluids_bloods_and_reviews_map_with_their_times_a_day():
    plan = care_plan(requests=("obs", "fluids", "bloods", "review", "care"))
    daily = {"frequency": 1, "period": 1, "periodUnit": "d"}
    read = read_bundle(source(bundle(
        patient(), plan,
        request("obs", "61746007", {"frequency": 3, "period": 1, "periodUnit": "d"}),
        request("fluids", "103744005", {**daily, "timeOfDay": ["10:00:00"], "duration": 240, "durationUnit": "min"}),
        request("bloods", "82078001", daily),
        request("review", "281036007"),
        {**request("care", "x", {"frequency": 2, "period": 1, "periodUnit": "d"}),
         "code": {"coding": [{"system": REGIMEN_SYSTEM, "code": "double_handed_care"}]}},
    )))  # fmt: skip
    got = {i.regimen: (i.frequency, i.first_time, i.run_hours) for i in read.items}
    assert got == {
        "obs": ("3", None, None),
        "iv_fluids": ("1", time(10, 0), 4.0),
        "bloods": ("", None, None),
        "review": ("", None, None),
        "double_handed_care": ("2", None, None),
    }
    visits = expand(read.patients, read.items, D)
    kinds = [v.visit_type for v in visits]
    assert kinds.count("NEWS2 observations") == 3 and kinds.count("Bloods (lab run)") == 1
    assert [v.staff for v in visits if v.visit_type == "Double-handed care"] == [2, 2]
    off = next(v for v in visits if v.visit_type == "IV fluids: disconnect")
    assert off.min_gap_min == 240  # the bag runs the request's 240 minutes


@pytest.mark.parametrize(
    ("code", "regimen"),
    [
        ({"text": "IV antibiotics"}, "iv_antibiotic"),
        ({"text": "Intravenous-antibiotics"}, "iv_antibiotic"),
        ({"coding": [{"system": "http://snomed.info/sct", "code": "281790008", "display": "IV abx"}]}, "iv_antibiotic"),
        ({"coding": [{"system": "http://example.org/local", "code": "ABX"}], "text": "iv_antibiotic"}, "iv_antibiotic"),
        ({"coding": [{"system": REGIMEN_SYSTEM, "code": "iv_antibiotic"},
                     {"system": "http://snomed.info/sct", "code": "281790008"}]}, "iv_antibiotic"),
    ],
)
def test_the_regimen_comes_from_snomed_the_project_codes_or_the_text(code, regimen):
    assert only_item(patient(), care_plan(), antibiotic(code=code)).regimen == regimen


@pytest.mark.parametrize(
    ("extra", "line"),
    [
        ({}, "peripheral"),
        ({"note": [{"text": "Via PICC, right arm"}]}, "picc"),
        ({"bodySite": [{"text": "Peripherally inserted central catheter"}]}, "picc"),
        ({"extension": [{"url": LINE_URL, "valueCode": "picc"}]}, "picc"),
        ({"extension": [{"url": LINE_URL, "valueCode": "peripheral"}], "note": [{"text": "PICC removed"}]}, "peripheral"),
    ],
)
def test_a_picc_line_is_read_from_the_extension_or_the_words(extra, line):
    assert only_item(patient(), care_plan(), antibiotic(**extra)).line == line


def test_dates_are_the_requests_bounds_inside_the_plans_period_in_local_days():
    """boundsPeriod within the CarePlan's period; a date-time is its Europe/London date
    (23:30Z on 23 June is 00:30 on the 24th, summer time)."""
    repeat = {"frequency": 1, "period": 12, "periodUnit": "h", "timeOfDay": ["08:00:00"],
              "boundsPeriod": {"start": "2026-06-20", "end": "2026-06-23T23:30:00Z"}}  # fmt: skip
    plan = care_plan(period={"start": "2026-06-21T09:00:00+01:00", "end": "2026-06-30"})
    item = only_item(patient(), plan, antibiotic(repeat=repeat))
    assert (item.start_date, item.end_date) == (date(2026, 6, 21), date(2026, 6, 24))
    open_ended = only_item(patient(), care_plan(period={"start": "2026-06-21"}), antibiotic())
    assert (open_ended.start_date, open_ended.end_date) == (date(2026, 6, 21), None)


def test_only_active_requests_of_active_plans_are_read_and_a_request_may_stand_alone():
    done = care_plan("cp-old", requests=("sr-old",), status="completed")
    items = read_bundle(source(bundle(
        patient(), care_plan(requests=("sr-1", "sr-held")), antibiotic(), done,
        antibiotic("sr-old"), antibiotic("sr-held", status="on-hold"),
        antibiotic("sr-own", basedOn=[{"reference": "CarePlan/cp-old"}]),
        request("sr-alone", "61746007", {"frequency": 2, "period": 1, "periodUnit": "d"}),
        {"resourceType": "Practitioner", "id": "ignored"},
    ))).items  # fmt: skip
    assert [(i.regimen, i.start_date) for i in items] == [("iv_antibiotic", date(2026, 11, 23)), ("obs", None)]


def test_references_by_full_url_and_a_transport_bundles_missing_ids():
    uuid = "urn:uuid:3f1e0c9a-2b4d-4c6e-8f10-1a2b3c4d5e6f"
    pat = patient()
    del pat["id"]
    data = {"resourceType": "Bundle", "type": "transaction", "entry": [
        {"fullUrl": uuid, "resource": pat, "request": {"method": "POST", "url": "Patient"}},
        {"resource": care_plan(subject=uuid), "request": {"method": "POST", "url": "CarePlan"}},
        {"resource": antibiotic(subject=uuid), "request": {"method": "POST", "url": "ServiceRequest"}},
    ]}  # fmt: skip
    patients, items = read_bundle(source(data))
    assert patients[0].patient_id == items[0].patient_id == uuid.removeprefix("urn:uuid:")
    absolute = source(bundle(patient(), care_plan(subject="https://ehr.example/fhir/Patient/pat-1"), antibiotic()))
    assert read_bundle(absolute).items[0].patient_id == "pat-1"


def test_the_address_visited_is_the_temporary_one_then_home_never_an_old_one():
    addresses = [
        {"use": "old", "line": ["9 Gone Road"], "postalCode": "SG1 1AA"},
        {"use": "home", "line": ["1 Rowan Close"], "postalCode": "AL1 3XY"},
        {"use": "temp", "line": ["4 Daughter's Way"], "city": "Hitchin", "postalCode": "sg5 1ab"},
    ]
    (p,) = read_bundle(one_patient(address=addresses)).patients
    assert (p.address, p.postcode) == ("4 Daughter's Way, Hitchin", "SG5 1AB")


def test_a_patient_without_a_geolocation_keeps_her_postcode_to_be_placed():
    address = [{"use": "home", "line": ["1 Rowan Close"], "postalCode": "AL13XY"}]
    read = read_bundle(one_patient(address=address))
    (p,) = read.patients
    assert p.location == UNLOCATED and not is_located(p) and read.unlocated == ["pat-1"]
    (placed,) = locate(read.patients, {"AL1 3XY": Location(51.75, -0.34)}.get)
    assert placed.location == Location(51.75, -0.34) and is_located(placed)
    with pytest.raises(InputError) as err:
        locate(read.patients, lambda postcode: None, file="bundle.json")
    assert str(err.value) == "bundle.json, column Patient/pat-1 address.postalCode: the postcode could not be placed"


def test_with_a_postcode_file_the_reader_places_her_and_names_a_fallback_by_entry():
    """``place``: nobody leaves the reader unplaced; a district-centre fallback is a warning
    of her entry's postalCode, and neither it nor a refusal repeats the postcode."""
    from scheduler.domain.geocode import Gazetteer

    def at(pid: str, nhs: str, postcode: str):
        return patient(pid, nhs, address=[{"use": "home", "line": ["1 Rowan Close"], "postalCode": postcode}])

    resources = [at("pat-1", NHS[0], "AL1 3XY"), at("pat-2", NHS[1], "AL1 9ZZ"), patient("pat-3", NHS[2]),
                 care_plan(), antibiotic()]  # fmt: skip
    gazetteer = Gazetteer.from_rows([("AL1 3XY", 51.75, -0.34, False), ("AL1 3HD", 51.76, -0.32, False)], source="onspd.csv")
    warnings: list = []
    entries: dict[str, int] = {}
    read = read_bundle(source(bundle(*resources)), gazetteer=gazetteer, warnings=warnings, entries=entries)
    places = {p.patient_id: p.location for p in read.patients}
    assert places["pat-1"] == Location(51.75, -0.34) and places["pat-3"] == Location(51.752, -0.339)
    assert (places["pat-2"].lat, places["pat-2"].lon) == (pytest.approx(51.755), pytest.approx(-0.33))  # the district's mean
    assert read.unlocated == [] and entries == {"pat-1": 0, "pat-2": 1, "pat-3": 2}
    assert [str(w) for w in warnings] == [
        "bundle.json, entry[1], Patient/pat-2 address[0].postalCode: is not in onspd.csv: placed at "
        "the centre of its postcode district, which may be kilometres from the door; check the postcode"]
    with pytest.raises(InputError) as err:
        read_bundle(source(bundle(at("pat-1", NHS[0], "SG1 1AA"), care_plan(), antibiotic())), gazetteer=gazetteer)
    assert [str(i) for i in err.value.issues] == [
        "bundle.json, entry[0], Patient/pat-1 address[0].postalCode: neither the postcode nor its "
        "district is in onspd.csv: correct the postcode, or add the geolocation"]
    with pytest.raises(InputError) as err:
        read_bundle(source(bundle(at("pat-1", NHS[0], "AL1 3XY"), care_plan(), antibiotic())), place=True)
    (issue,) = err.value.issues
    assert (issue.row, issue.column) == (0, "Patient/pat-1 address[0]") and "HAH_POSTCODE_FILE" in issue.message
    assert "SG1" not in str(err.value) and "AL1" not in str(err.value)


def test_preferences_risks_and_access_notes_come_from_the_projects_extensions():
    extensions = [
        {"url": ACCESS_NOTES_URL, "valueString": "Key safe by the back door"},
        {"url": RISK_FLAG_URL, "valueCode": "no_lone_after_dark"},
        {"url": RISK_FLAG_URL, "valueCode": "two_staff"},
        {"url": EXCLUDED_CLINICIAN_URL, "valueString": "N7"},
        {"url": EXCLUDED_CLINICIAN_URL, "valueReference": {"reference": "Practitioner/N9"}},
        {"url": CARER_GENDER_URL, "valueCode": "female"},
        {"url": "http://example.org/other", "valueString": "ignored"},
    ]
    (p,) = read_bundle(one_patient(extension=extensions)).patients
    assert p.access_notes == "Key safe by the back door"
    assert p.risk_flags == {"no_lone_after_dark", "two_staff"}
    assert p.excluded_clinicians == {"N7", "N9"} and p.carer_gender == "F"


def test_the_nhs_number_may_be_written_with_spaces():
    ident = [{"system": NHS_NUMBER_SYSTEM, "value": "943 476 5919"}]
    assert read_bundle(one_patient(identifier=ident)).patients[0].nhs_number == "9434765919"
