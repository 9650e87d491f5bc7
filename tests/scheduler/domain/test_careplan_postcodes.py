"""patients.csv rows placed from postcodes through the trust's postcode file, offline."""

from __future__ import annotations

from datetime import date

import pytest

from scheduler.domain.careplan import expand, read_careplans, read_patients
from scheduler.domain.errors import InputError, InputIssue
from scheduler.domain.formats.tabular import CsvSource
from scheduler.domain.geocode import Gazetteer

ONSPD = (
    "pcds,lat,long,doterm\n"
    "AL1 3HD,51.752000,-0.336000,\n"
    "AL1 3JB,51.754000,-0.334000,\n"
    "SG1 1AA,51.903000,-0.202000,\n"
)


@pytest.fixture
def gazetteer(tmp_path) -> Gazetteer:
    path = tmp_path / "onspd.csv"
    path.write_text(ONSPD, encoding="utf-8")
    return Gazetteer.from_file(path)


def patients(text: str) -> CsvSource:
    return CsvSource("patients.csv", text.encode())


def test_a_postcode_places_the_patient_and_a_written_place_wins(gazetteer):
    warnings: list[InputIssue] = []
    people = read_patients(
        patients("patient_id,lat,lon,postcode\nP1,,,al13hd\nP2,51.8,-0.2,SG1 1AA\n"),
        gazetteer=gazetteer,
        warnings=warnings,
    )
    assert warnings == []
    assert (people[0].location.lat, people[0].location.lon, people[0].postcode) == (
        51.752, -0.336, "AL1 3HD",
    )  # fmt: skip
    assert (people[1].location.lat, people[1].location.lon) == (51.8, -0.2)


def test_a_postcode_only_file_needs_no_lat_lon_columns(gazetteer):
    people = read_patients(patients("patient_id,postcode\nP1,SG1 1AA\n"), gazetteer=gazetteer)
    assert people[0].location.lat == 51.903


def test_a_missing_postcode_falls_back_to_its_district_with_a_warning_naming_the_row(gazetteer):
    warnings: list[InputIssue] = []
    people = read_patients(
        patients("patient_id,postcode\nP1,AL1 3HD\nP2,AL1 9QQ\n"),
        gazetteer=gazetteer,
        warnings=warnings,
    )
    assert people[1].location.lat == pytest.approx(51.753)
    assert [(w.file, w.row, w.column) for w in warnings] == [("patients.csv", 3, "postcode")]
    assert "district AL1" in warnings[0].message


def test_refusals_name_row_and_column(gazetteer):
    with pytest.raises(InputError) as err:
        read_patients(
            patients("patient_id,lat,lon,postcode\nP1,,,NOT A CODE\nP2,,,HP1 1AA\nP3,,,\n"),
            gazetteer=gazetteer,
        )
    where = {(i.row, i.column) for i in err.value.issues}
    assert {(2, "postcode"), (3, "postcode"), (4, "lat")} <= where
    assert any("not a UK postcode" in i.message for i in err.value.issues)
    assert any("district HP1" in i.message for i in err.value.issues)


def test_without_a_postcode_file_a_postcode_alone_is_refused_saying_what_to_give():
    with pytest.raises(InputError) as err:
        read_patients(patients("patient_id,lat,lon,postcode\nP1,,,AL1 3HD\n"))
    (issue,) = err.value.issues
    assert (issue.row, issue.column) == (2, "lat") and "postcode file" in issue.message


def test_a_file_with_neither_place_nor_postcode_columns_is_refused():
    with pytest.raises(InputError, match="needs columns lat and lon, or postcode"):
        read_patients(patients("patient_id,name\nP1,Ann\n"))


def test_patients_placed_from_postcodes_expand_into_visits_there(gazetteer):
    people = read_patients(patients("patient_id,postcode\nP1,AL1 3JB\n"), gazetteer=gazetteer)
    plans = read_careplans(
        CsvSource(
            "careplans.csv",
            b"patient_id,regimen,frequency,first_time\nP1,iv_antibiotic,q8h,06:00\n",
        )
    )
    visits = expand(people, plans, date(2026, 12, 7))
    assert len(visits) == 3 and {v.location.lat for v in visits} == {51.754}
