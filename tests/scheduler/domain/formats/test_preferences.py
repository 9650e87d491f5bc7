"""The patient's preferences and risks in a day's files: visits.csv's optional
``excluded_clinicians``, ``carer_gender``, ``access_notes`` and ``risk_flags``, and
clinicians.csv's ``gender`` — read in the forms people type, refused by file, row and column
when wrong, and written back to the same visits and shifts."""

from __future__ import annotations

from dataclasses import replace

import pytest

from scheduler.domain.careplan import clinicians_csv_text, visits_csv_text
from scheduler.domain.errors import InputError
from scheduler.domain.formats.day import read_clinicians, read_day, read_visits
from scheduler.domain.formats.tabular import CsvSource, csv_line
from tests.support.formats import GOOD_C, GOOD_V

V_HEAD = ("visit_id,patient_id,lat,lon,window_start,window_end,duration_min,skills,staff,"
          "pinned_clinician,excluded_clinicians,carer_gender,access_notes,risk_flags")  # fmt: skip
C_HEAD = "clinician_id,name,skills,shift_start,shift_end,start_lat,start_lon,gender"
DAY = "2026-11-23"


def _visits(*rows: str) -> CsvSource:
    return CsvSource.from_text("\n".join([V_HEAD, *rows]) + "\n", "visits.csv")


def _row(vid="V1", *, window=("09:00", "10:00"), staff="1", pin="", excluded="", gender="",
         notes="", flags="", lat="51.80", lon="-0.20") -> str:  # fmt: skip
    cells = [vid, "P1", lat, lon, f"{DAY}T{window[0]}", f"{DAY}T{window[1]}", "30", "IV", staff,
             pin, excluded, gender, notes, flags]  # fmt: skip
    return csv_line(cells).rstrip("\n")


def _issues(source: CsvSource) -> list[str]:
    with pytest.raises(InputError) as err:
        read_visits(source)
    return [str(i) for i in err.value.issues]


def test_the_columns_are_read_in_the_forms_people_type():
    (v,) = read_visits(_visits(_row(excluded="C12; C7", gender="female",
                                    notes="Key safe 1234 by the back door; dog is friendly",
                                    flags="Dog;No lone after dark;oxygen")))  # fmt: skip
    assert v.excluded_clinicians == {"C12", "C7"}
    assert v.carer_gender == "F"
    assert v.access_notes == "Key safe 1234 by the back door; dog is friendly"
    assert v.risk_flags == {"dog", "no_lone_after_dark", "oxygen"}
    for typed in ("F", "f", "FEMALE", "Female"):
        assert read_visits(_visits(_row(gender=typed)))[0].carer_gender == "F"
    assert read_visits(_visits(_row(gender="m")))[0].carer_gender == "M"


def test_a_file_without_the_columns_reads_as_no_request_and_no_risk():
    visits, shifts = read_day(GOOD_V, GOOD_C)
    assert all(v.excluded_clinicians == frozenset() and v.carer_gender == "" and
               v.access_notes == "" and v.risk_flags == frozenset() for v in visits)  # fmt: skip
    assert all(s.gender == "" for s in shifts)


def test_bad_values_are_named_by_file_row_and_column():
    found = _issues(_visits(
        _row("V1", gender="X"),
        _row("V2", flags="dog;cat"),
        _row("V3", flags="two_staff", staff="1"),
        _row("V4", pin="C12", excluded="C12"),
    ))  # fmt: skip
    assert found == [
        "visits.csv, row 2, column carer_gender: 'X' is not F or M (empty: no request)",
        "visits.csv, row 3, column risk_flags: 'cat' is not a known risk flag (known: "
        "aggression, dog, infection_control, no_lone_after_dark, oxygen, smoker, two_staff)",
        "visits.csv, row 4, column staff: 1: the patient's risk flag two_staff needs 2",
        "visits.csv, row 5, column pinned_clinician: C12 is excluded by the patient",
    ]


def test_a_lone_visit_that_could_run_after_dark_is_refused_with_the_fix():
    """no_lone_after_dark: a 16:00–17:00 window in November (dusk 16:39 at this place)
    could have the nurse there alone in the dark; the reader says which starts would not."""
    found = _issues(_visits(_row("V1", window=("16:00", "17:00"), flags="no_lone_after_dark"),
                            _row("V2", window=("21:00", "22:00"), flags="no_lone_after_dark")))
    assert len(found) == 2
    first, second = found
    assert first == ("visits.csv, row 2, column window_end: the patient's risk flag "
                     "no_lone_after_dark: a lone visit in the window 16:00–17:00 could be there "
                     "after dark; start it 16:00–16:09 or set staff 2")  # dusk 16:39  # fmt: skip
    assert second.endswith("window 21:00–22:00 could be there after dark; set staff 2")
    # the same visits are accepted in the light, or double-handed
    read_visits(_visits(_row("V1", window=("10:00", "11:00"), flags="no_lone_after_dark"),
                        _row("V2", window=("21:00", "22:00"), staff="2",
                             flags="no_lone_after_dark")))  # fmt: skip


def test_clinician_gender_is_read_and_a_bad_one_refused():
    text = "\n".join([
        C_HEAD,
        f"N1,Ann,RN;IV,{DAY}T07:00,{DAY}T15:00,51.8,-0.2,female",
        f"N2,Bob,RN;IV,{DAY}T07:00,{DAY}T15:00,51.8,-0.2,M",
        f"N3,Cat,RN;IV,{DAY}T07:00,{DAY}T15:00,51.8,-0.2,",
    ]) + "\n"  # fmt: skip
    shifts = read_clinicians(CsvSource.from_text(text, "clinicians.csv"))
    assert [s.gender for s in shifts] == ["F", "M", ""]
    bad = text.replace(",M\n", ",other\n")
    with pytest.raises(InputError) as err:
        read_clinicians(CsvSource.from_text(bad, "clinicians.csv"))
    assert [str(i) for i in err.value.issues] == [
        "clinicians.csv, row 3, column gender: 'other' is not F or M (empty: not stated)"
    ]


def test_visits_and_shifts_round_trip_through_the_writers():
    visits = read_visits(_visits(
        _row("V1", excluded="C12;C7", gender="F", notes='Key safe "1234", =back door',
             flags="dog;oxygen"),
        _row("V2", window=("21:00", "22:00"), staff="2", flags="two_staff;no_lone_after_dark"),
        _row("V3"),
    ))  # fmt: skip
    text = visits_csv_text(visits)
    assert text.splitlines()[0].endswith(",excluded_clinicians,carer_gender,access_notes,risk_flags")
    assert read_visits(CsvSource.from_text(text, "visits.csv")) == visits
    _, c = read_day(GOOD_V, GOOD_C)
    shifts = tuple(replace(s, gender="F") if s.clinician_id == "N2" else s for s in c)
    written = clinicians_csv_text(shifts)
    assert written.splitlines()[0].endswith(",role,base,gender")
    assert read_clinicians(CsvSource.from_text(written, "clinicians.csv")) == shifts


def test_columns_nobody_uses_are_not_written():
    """A day without preferences is written exactly as before they existed."""
    visits, shifts = read_day(GOOD_V, GOOD_C)
    assert visits_csv_text(visits).splitlines()[0].endswith(",visit_type,address")
    assert clinicians_csv_text(shifts).splitlines()[0].endswith(",role,base")
