"""``read_bundle`` refuses a bundle with any problem, naming each by file, entry and element
path in plain words, all of them at once, and returns nothing from it."""

from __future__ import annotations

import pytest

from scheduler.domain.errors import InputError
from scheduler.domain.formats.fhir import bundle as bundle_module
from scheduler.domain.formats.fhir import read_bundle
from scheduler.domain.formats.fhir.codes import (
    CARER_GENDER_URL,
    NHS_NUMBER_SYSTEM,
    REGIMEN_SYSTEM,
    RISK_FLAG_URL,
)
from scheduler.domain.formats.fhir.issues import BundleIssue
from tests.support.fhir import (
    BAD_NHS,
    NHS,
    antibiotic,
    bundle,
    care_plan,
    geolocation,
    one_patient,
    patient,
    request,
    source,
)


def problems(src) -> list[str]:
    with pytest.raises(InputError) as err:
        read_bundle(src)
    return [str(i) for i in err.value.issues]


def test_an_issue_names_the_file_the_entry_and_the_element():
    bad = antibiotic(repeat={"frequency": 1, "period": 7, "periodUnit": "h", "timeOfDay": ["06:00:00"]})
    with pytest.raises(InputError) as err:
        read_bundle(source(bundle(patient(), care_plan(), bad), "trust-export.json"))
    (issue,) = err.value.issues
    assert isinstance(issue, BundleIssue)
    assert (issue.file, issue.row, issue.column) == ("trust-export.json", 2, "ServiceRequest/sr-1 occurrenceTiming.repeat.period")
    assert str(issue) == ("trust-export.json, entry[2], ServiceRequest/sr-1 occurrenceTiming.repeat.period: "
                          "a dose every 7 h is not q6h, q8h, q12h or q24h")  # fmt: skip


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "bundle.json: the file is empty"),
        ("{not json", "bundle.json: is not JSON: Expecting property name enclosed in double quotes at line 1, column 2"),
        ("[1, 2]", "bundle.json, Bundle: is not a FHIR resource (a JSON object with a resourceType)"),
        ('{"resourceType": "Patient", "id": "p"}', "bundle.json, Bundle resourceType: is a Patient; a Bundle of Patient, CarePlan and ServiceRequest resources is read"),
        ('{"resourceType": "Bundle", "type": "collection"}', "bundle.json, Bundle entry: the bundle has no entries"),
        ('{"resourceType": "Bundle", "entry": [{"resource": {"resourceType": "Basic", "id": "b"}}]}', "bundle.json, Bundle type: is required"),
        ('{"resourceType": "Bundle", "type": "collection", "entry": [{"fullUrl": 5}, 7]}', "bundle.json, entry[0], fullUrl: 5 should be a string"),
        ('{"resourceType": "Bundle", "type": "collection", "entry": [7]}', "bundle.json, entry[0]: should be an object with a resource"),
        ('{"resourceType": "Bundle", "total": NaN}', "bundle.json: is not JSON a reader can take: NaN is not a JSON value"),
        ("1" * 5000, "bundle.json: is not JSON a reader can take: Exceeds the limit"),
    ],
)
def test_a_file_that_is_not_a_bundle_is_refused_saying_why(text, expected):
    assert any(p.startswith(expected) for p in problems(source(text))), problems(source(text))


def test_a_missing_file_and_an_oversized_one_are_refused(tmp_path, monkeypatch):
    assert problems(tmp_path / "nowhere.json") == ["nowhere.json: file not found"]
    monkeypatch.setattr(bundle_module, "MAX_BUNDLE_BYTES", 100)
    (big,) = problems(one_patient())
    assert big.startswith("bundle.json: is ") and big.endswith("bytes; a bundle holds at most 100")


def test_what_the_fhir_model_refuses_is_reported_per_element_and_the_rest_still_checked():
    """A bad date and an element FHIR R4 does not have, each reported on its entry, and the
    next resource's own problem found in the same pass."""
    broken = patient(birthDate="1950-13-01", bogus=1)
    bad_timing = antibiotic(repeat={"frequency": "three", "period": 8, "periodUnit": "h"})
    got = problems(source(bundle(broken, care_plan(), bad_timing)))
    # A Patient's values are personal: the problem says what is wrong, never the value itself.
    assert "bundle.json, entry[0], Patient/pat-1 birthDate: the value is not a date (YYYY, YYYY-MM or YYYY-MM-DD)" in got
    assert not any("1950" in g for g in got)
    assert "bundle.json, entry[0], Patient/pat-1 bogus: is not an element of Patient in FHIR R4" in got
    assert "bundle.json, entry[2], ServiceRequest/sr-1 occurrenceTiming.repeat.frequency: 'three' is not a whole number" in got


def test_a_resource_the_model_itself_fails_on_is_reported_not_crashed_on():
    """A contained resource of no known type makes the FHIR model itself fail (a KeyError):
    one issue on the resource, and the other resources are still read."""
    odd = patient(contained=[{"resourceType": "Nonsense"}])
    got = problems(source(bundle(odd, care_plan(), antibiotic(subject="Patient/pat-9"))))
    assert got[0].startswith("bundle.json, entry[0], Patient/pat-1: is not a valid FHIR R4 Patient")
    assert got[1:] == ["bundle.json, entry[2], ServiceRequest/sr-1 subject.reference: Patient/pat-9 is not a Patient in the bundle"]


def test_model_errors_name_nested_paths_and_missing_elements():
    no_subject = antibiotic()
    del no_subject["subject"]
    got = problems(source(bundle(
        patient(address=[{"use": "home", "postalCode": "AL1 3XY", "extension": [geolocation(51.7, -0.3)],
                          "line": "1 Rowan Close"}]),
        care_plan(), no_subject,
    )))  # fmt: skip
    assert "bundle.json, entry[0], Patient/pat-1 address[0].line: should be an array (a list), not a string" in got
    assert "bundle.json, entry[2], ServiceRequest/sr-1 subject: is required" in got


@pytest.mark.parametrize(
    ("patient_kw", "expected"),
    [
        ({"identifier": []}, f"entry[0], Patient/pat-1 identifier: has no NHS number (an identifier with system {NHS_NUMBER_SYSTEM})"),
        ({"identifier": [{"system": "http://example.org/mrn", "value": "123"}]}, "Patient/pat-1 identifier: has no NHS number"),
        ({"identifier": [{"system": NHS_NUMBER_SYSTEM, "value": BAD_NHS}]}, "entry[0], Patient/pat-1 identifier[0].value: the NHS number fails the NHS number check digit"),
        ({"identifier": [{"system": NHS_NUMBER_SYSTEM, "value": "99900000"}]}, "identifier[0].value: the NHS number has 8 digits; an NHS number has 10"),
        ({"address": [{"use": "home", "line": ["1 Rowan Close"], "postalCode": "NOT A CODE"}]}, "Patient/pat-1 address[0].postalCode: is not shaped like a UK postcode (e.g. AL1 3XY)"),
        ({"address": [{"use": "home", "line": ["1 Rowan Close"]}]}, "address[0].postalCode: the address has neither a postcode nor a geolocation"),
        ({"address": [{"use": "old", "line": ["9 Gone Road"], "postalCode": "SG1 1AA"}]}, "Patient/pat-1 address: has no address (a home or temporary one) to visit"),
        ({"address": [{"use": "home", "postalCode": "AL1 3XY", "extension": [geolocation(0, 0)]}]}, "address[0].extension[0]: 0, 0 is a missing geocode"),
        ({"address": [{"use": "home", "postalCode": "AL1 3XY", "extension": [geolocation(151.9, -0.3)]}]}, "address[0].extension[0] latitude: latitude 151.9 is off the map"),
        ({"extension": [{"url": CARER_GENDER_URL, "valueCode": "nurse"}]}, "Patient/pat-1 extension[0].valueCode: 'nurse' is not female or male"),
        ({"extension": [{"url": RISK_FLAG_URL, "valueCode": "Bad Flag!"}]}, "extension[0].valueCode: 'Bad Flag!' is not a risk flag code"),
    ],
)
def test_a_patient_the_caseload_cannot_take_is_refused_on_her_element(patient_kw, expected):
    got = problems(one_patient(**patient_kw))
    assert any(expected in g for g in got), got


def test_a_resource_without_an_id_or_with_one_too_long_is_refused():
    nameless = patient()
    del nameless["id"]
    got = problems(source(bundle(nameless, patient("p" * 65, NHS[1]))))
    assert got == [
        "bundle.json, entry[0], Patient (no id) id: is required: the resource id is how the service names it (or a urn:uuid: fullUrl)",
        f"bundle.json, entry[1], Patient/{'p' * 65} id: is 65 characters long; a FHIR id has at most 64",
    ]


def test_one_person_twice_and_one_id_twice_are_refused():
    got = problems(source(bundle(patient(), care_plan(), antibiotic(), patient("pat-2"), patient("pat-1", NHS[1]))))
    assert "bundle.json, entry[3], Patient/pat-2 identifier: the NHS number is also Patient/pat-1's: one person, one Patient" in got
    assert "bundle.json, entry[4], Patient/pat-1 id: Patient/pat-1 repeats entry[0]" in got


@pytest.mark.parametrize(
    ("request_", "expected"),
    [
        (antibiotic(code={"coding": [{"system": "http://snomed.info/sct", "code": "77465005"}]}), "ServiceRequest/sr-1 code: no regimen for http://snomed.info/sct 77465005: code it with SNOMED CT"),
        (antibiotic(code={"coding": [{"system": REGIMEN_SYSTEM, "code": "iv_antibiotics"}]}), "ServiceRequest/sr-1 code.coding[0].code: 'iv_antibiotics' is not one of iv_antibiotic, iv_fluids"),
        (antibiotic(code={"coding": [{"system": REGIMEN_SYSTEM, "code": "obs"}, {"system": "http://snomed.info/sct", "code": "281790008"}]}), "code.coding: the codes name different regimens (iv_antibiotic, obs)"),
        (antibiotic(code=None), "ServiceRequest/sr-1 code: is required: it says which visit this is"),
        (antibiotic(repeat={"frequency": 1, "period": 8, "periodUnit": "h"}), "occurrenceTiming.repeat.timeOfDay: an antibiotic needs its first dose time"),
        (antibiotic(repeat={"frequency": 1, "timeOfDay": ["06:00:00"]}), "occurrenceTiming.repeat.period: is required: how often is frequency per period periodUnit"),
        (antibiotic(repeat={"period": 8, "periodUnit": "hours", "timeOfDay": ["06:00:00"]}), "occurrenceTiming.repeat.periodUnit: 'hours' is not min, h, d or wk"),
        (antibiotic(repeat={"period": -8, "periodUnit": "h", "timeOfDay": ["06:00:00"]}), "occurrenceTiming.repeat.period: -8 is not a positive period"),
        (antibiotic(repeat={"period": 8, "periodUnit": "h", "timeOfDay": ["06:00:00", "13:00:00"]}), "occurrenceTiming.repeat.timeOfDay[1]: 13:00 is not a whole number of 8 h from the first time (06:00)"),
        (antibiotic(repeat={"period": 8, "periodUnit": "h", "timeOfDay": ["06:00:00"], "dayOfWeek": ["mon"]}), "occurrenceTiming.repeat.dayOfWeek: is not read: every regimen is planned every day"),
        (antibiotic(repeat={"period": 8, "periodUnit": "h", "timeOfDay": ["06:00:00"], "boundsDuration": {"value": 5, "unit": "d"}}), "occurrenceTiming.repeat.boundsDuration: is not read: give the regimen's dates as boundsPeriod"),
        (antibiotic(repeat={"period": 8, "periodUnit": "h", "timeOfDay": ["06:00"]}), "occurrenceTiming.repeat.timeOfDay[0]: '06:00' is not a time of day (hh:mm:ss)"),
        (antibiotic(occurrenceTiming=None, occurrencePeriod={"start": "2026-11-23"}), "ServiceRequest/sr-1 occurrenceTiming: an antibiotic needs occurrenceTiming.repeat"),
        (antibiotic(occurrencePeriod={"start": "2026-11-23"}), "ServiceRequest/sr-1: give only one of occurrenceDateTime, occurrencePeriod, occurrenceTiming"),
        (request("sr-1", "61746007", {"frequency": 5, "period": 1, "periodUnit": "d"}), "occurrenceTiming.repeat.frequency: 5 times a day: obs is 1, 2, 3, 4 times a day"),
        (request("sr-1", "82078001", {"frequency": 2, "period": 1, "periodUnit": "d"}), "occurrenceTiming.repeat.frequency: 2 times a day: bloods is once a day"),
        (request("sr-1", "103744005", {"frequency": 1, "period": 1, "periodUnit": "d", "timeOfDay": ["08:00:00"], "duration": 30, "durationUnit": "h"}), "occurrenceTiming.repeat.duration: 30 h: a bag runs more than 0 and at most 24 hours"),
        (antibiotic(repeat={"period": 8, "periodUnit": "h", "timeOfDay": ["06:00:00"], "boundsPeriod": {"start": "2026-11"}}), "occurrenceTiming.repeat.boundsPeriod.start: '2026-11' is not a whole date"),
        (antibiotic(repeat={"period": 8, "periodUnit": "h", "timeOfDay": ["06:00:00"], "boundsPeriod": {"start": "2026-12-01"}}), "occurrenceTiming.repeat.boundsPeriod: the regimen's days lie outside CarePlan/cp-1's period (2026-11-23 to 2026-11-28)"),
        (antibiotic(subject="Patient/pat-9"), "ServiceRequest/sr-1 subject.reference: Patient/pat-9 is not a Patient in the bundle"),
    ],
)
def test_a_request_the_caseload_cannot_plan_is_refused_on_its_element(request_, expected):
    request_ = {k: v for k, v in request_.items() if v is not None}
    got = problems(source(bundle(patient(), care_plan(), request_)))
    assert any(f"entry[2], {expected}" in g or expected in g for g in got), got
    assert all(g.startswith("bundle.json, entry[2], ServiceRequest/sr-1") for g in got), got


def test_a_plans_activities_must_be_service_requests_in_the_bundle():
    plan = care_plan(requests=("sr-1", "sr-gone"))
    plan["activity"] += [
        {"reference": {"reference": "MedicationRequest/mr-1"}},
        {"detail": {"status": "scheduled", "kind": "ServiceRequest", "description": "obs twice daily"}},
        {"detail": {"status": "completed", "description": "done: not read"}},
        {"reference": {"reference": "Patient/pat-1"}},
    ]
    got = problems(source(bundle(patient(), plan, antibiotic())))
    assert got == [
        "bundle.json, entry[1], CarePlan/cp-1 activity[1].reference: ServiceRequest/sr-gone is not in the bundle",
        "bundle.json, entry[1], CarePlan/cp-1 activity[2].reference: MedicationRequest/mr-1: only ServiceRequest activities are read (describe the visits as ServiceRequests)",
        "bundle.json, entry[1], CarePlan/cp-1 activity[3].detail: an activity written inline (detail) is not read: describe the visits as a ServiceRequest and reference it",
        "bundle.json, entry[1], CarePlan/cp-1 activity[5].reference: Patient/pat-1 is a Patient, not a ServiceRequest",
    ]


def test_a_plan_for_nobody_or_with_its_period_backwards_and_a_request_of_another_patient():
    got = problems(source(bundle(
        patient(), patient("pat-2", NHS[1]),
        care_plan(subject="Patient/nobody", period={"start": "2026-11-28", "end": "2026-11-23"}),
        antibiotic(subject="Patient/pat-2"),
    )))  # fmt: skip
    assert got == [
        "bundle.json, entry[2], CarePlan/cp-1 subject.reference: Patient/nobody is not a Patient in the bundle",
        "bundle.json, entry[2], CarePlan/cp-1 period.end: the period ends (2026-11-23) before it starts (2026-11-28)",
    ]
    got = problems(source(bundle(patient(), patient("pat-2", NHS[1]), care_plan(), antibiotic(subject="Patient/pat-2"))))
    assert got == ["bundle.json, entry[3], ServiceRequest/sr-1 subject: is Patient/pat-2, but CarePlan/cp-1 is Patient/pat-1's"]


def test_a_patient_who_has_died_cannot_have_an_active_plan():
    got = problems(one_patient(deceasedDateTime="2026-11-22T10:00:00+00:00"))
    assert got == ["bundle.json, entry[0], Patient/pat-1 deceasedDateTime: the patient has died, but has an active care plan: close the plan before the visits are planned"]
    assert read_bundle(source(bundle(patient(deceasedBoolean=True)))).patients  # no plan: only on the list


def test_every_problem_of_the_bundle_is_listed_at_once():
    got = problems(source(bundle(
        patient(identifier=[{"system": NHS_NUMBER_SYSTEM, "value": BAD_NHS}]),
        care_plan(requests=("sr-1", "sr-2")),
        antibiotic(repeat={"period": 5, "periodUnit": "h", "timeOfDay": ["06:00:00"]}),
        request("sr-2", "61746007", {"frequency": 9, "period": 1, "periodUnit": "d"}),
    )))  # fmt: skip
    assert [g.split(":")[0] for g in got] == [
        "bundle.json, entry[0], Patient/pat-1 identifier[0].value",
        "bundle.json, entry[2], ServiceRequest/sr-1 occurrenceTiming.repeat.period",
        "bundle.json, entry[3], ServiceRequest/sr-2 occurrenceTiming.repeat.frequency",
    ]


def test_a_nul_character_anywhere_in_a_resource_is_refused_at_its_element():
    """The FHIR model lets a NUL through in a string; FHIR strings hold no control characters,
    and PostgreSQL cannot store one, so the reader refuses it where it is."""
    named = patient(name=[{"use": "official", "text": "Ada\x00 Test"}])
    assert problems(source(bundle(named, care_plan(), antibiotic()))) == [
        "bundle.json, entry[0], Patient/pat-1 name[0].text: holds a NUL character (\\u0000), which no FHIR string may"]
