"""The e-roster export (``scheduler.domain.formats.eroster``): a good file read into the
shifts clinicians.csv would give, night duties and the clock-change nights in real minutes,
the planning day of each duty, rows of leave skipped and counted, and every kind of bad row
named by file, row and column, all at once."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from scheduler.domain.careplan import clinicians_csv_text
from scheduler.domain.errors import InputError
from scheduler.domain.formats.day import read_clinicians
from scheduler.domain.formats.eroster import (
    ROSTER_HEADER,
    absence_cells,
    duty_cells,
    eroster_text,
    is_working,
    planning_day,
    read_eroster,
)
from scheduler.domain.formats.tabular import CsvSource
from scheduler.domain.geocode import Gazetteer
from scheduler.domain.localtime import at_local, hm
from scheduler.domain.synth import ROLE_SKILLS

HEAD = "staff_id,name,grade,skills,gender,date,start,end,break_min,break_earliest,break_latest,base,base_lat,base_lon,base_postcode,duty_code\n"
GOOD = HEAD + (
    "S001,Ann Lee,RN6,,F,2026-11-23,07:00,15:00,30,11:00,13:30,St Albans,51.751,-0.33,,E\n"
    "S002,Bo Khan,HCA,,M,23/11/2026,21:00,07:30,60,01:00,04:00,Stevenage,51.9,-0.205,,N\n"
    "S003,Cy Moss,AP,AP;RN;IV;PICC;OBS;PHLEB;SYR,,2026-11-23,08:00,20:00,60,,,Watford,51.659,-0.4,,LD\n"
    "S004,Di Roe,RN5,,F,2026-11-23,,,,,,,,,,A/L\n"
    "S001,Ann Lee,RN6,,F,2026-11-24,14:30,22:30,,,,St Albans,51.751,-0.33,,L\n"
    "S004,Di Roe,RN5,,F,2026-11-24,,,,,,,,,,Sick\n"
    "S002,Bo Khan,HCA,,M,2026-11-25,,,,,,,,,,study day\n"
)  # fmt: skip


def src(text: str, name: str = "eroster.csv") -> CsvSource:
    return CsvSource.from_text(text, name)


def problems(text: str, **kw) -> list[str]:
    with pytest.raises(InputError) as err:
        read_eroster(src(text), **kw)
    return [str(i) for i in err.value.issues]


def one_row(row: str, day: str = "2026-11-23") -> str:
    """A file of one good early duty on ``day`` and the row given (spreadsheet row 3)."""
    return HEAD + f"S001,Ann Lee,RN6,,F,{day},07:00,15:00,30,,,Base,51.751,-0.33,,\n" + row + "\n"


# -- a good file --------------------------------------------------------------------------------


def test_a_good_export_gives_each_day_its_shifts_and_counts_the_leave():
    r = read_eroster(src(GOOD))
    assert (r.file, r.first, r.last) == ("eroster.csv", date(2026, 11, 23), date(2026, 11, 25))
    assert r.days() == [date(2026, 11, 23), date(2026, 11, 24), date(2026, 11, 25)]
    assert [(d.day, d.shift.clinician_id, d.code, d.row) for d in r.duties] == [
        (date(2026, 11, 23), "S001", "E", 2), (date(2026, 11, 23), "S003", "LD", 4),
        (date(2026, 11, 23), "S002", "N", 3), (date(2026, 11, 24), "S001", "L", 6)]  # fmt: skip
    assert r.skipped == (("A/L", 1), ("Sick", 1), ("study day", 1)) and r.skipped_rows == 3
    assert r.shifts_on(date(2026, 11, 25)) == []
    early, ld, night = r.shifts_on(date(2026, 11, 23))
    assert (early.start, early.end) == (at_local(date(2026, 11, 23), 7), at_local(date(2026, 11, 23), 15))
    assert early.skills == ROLE_SKILLS["RN6"] and early.role == "RN6" and early.gender == "F"
    assert early.rest_break is not None and early.rest_break.duration_min == 30
    assert early.rest_break.window.label() == "11:00–13:30" and early.base == "St Albans"
    assert early.start_location == early.end_location and early.start_location.lat == 51.751
    assert "SYR" in ld.skills and ld.gender == "" and ld.rest_break is not None
    assert ld.rest_break.window.start == ld.start and ld.rest_break.window.end == ld.end
    # the night's end and its break after midnight are on the next morning
    assert (night.end, night.label()) == (at_local(date(2026, 11, 24), 7, 30), "21:00–07:30")
    assert night.rest_break is not None
    assert night.rest_break.window.start == at_local(date(2026, 11, 24), 1)


def test_what_it_reads_is_what_clinicians_csv_would_give():
    """The same shifts written as clinicians.csv and read by ``read_clinicians``."""
    r = read_eroster(src(GOOD))
    shifts = r.shifts_on(date(2026, 11, 23))
    again = read_clinicians(src(clinicians_csv_text(shifts), "clinicians.csv"))
    assert list(again) == shifts


def test_written_duties_read_back_to_the_same_shifts():
    r = read_eroster(src(GOOD))
    rows = [duty_cells(d.shift, d.code) for d in r.duties]
    rows.append(absence_cells("S009", "Ed Fox", "HCA", date(2026, 11, 23), "AL"))
    again = read_eroster(src(eroster_text(rows)))
    assert [(d.day, d.shift, d.code) for d in again.duties] == [
        (d.day, d.shift, d.code) for d in r.duties]
    assert again.skipped == (("AL", 1),)
    with pytest.raises(ValueError, match="working duty code"):
        absence_cells("S009", "Ed Fox", "HCA", date(2026, 11, 23), "N")
    assert eroster_text([]).rstrip("\n").split(",") == list(ROSTER_HEADER)


def test_duty_codes_of_absence_in_any_spelling_are_not_working():
    for code in ("AL", "a/l", "Annual Leave", "SICK", "sickness", "Study", "study-day", "TRN",
                 "training", "OFF", "toil"):  # fmt: skip
        assert not is_working(code), code
    for code in ("", "E", "L", "LD", "N", "BANK", "Night"):
        assert is_working(code), code


def test_optional_columns_may_be_left_out():
    text = ("staff_id,name,grade,date,start,end,base_lat,base_lon\n"
            "S1,Al,HCA,2026-11-23,07:00,15:00,51.75,-0.33\n")  # fmt: skip
    [duty] = read_eroster(src(text)).duties
    assert duty.shift.rest_break is None and duty.shift.skills == ROLE_SKILLS["HCA"]
    assert duty.code == "" and duty.shift.base == ""


def test_a_base_by_postcode_is_placed_offline_and_a_district_fallback_is_a_warning():
    gaz = Gazetteer.from_rows([("AL1 3HD", 51.752, -0.336, False), ("SG1 1AA", 51.9, -0.2, False)])
    text = ("staff_id,name,grade,date,start,end,base,base_postcode\n"
            "S1,Al,HCA,2026-11-23,07:00,15:00,St Albans,al13hd\n"
            "S2,Bea,HCA,2026-11-23,07:00,15:00,,SG1 9ZZ\n")  # fmt: skip
    warnings: list = []
    r = read_eroster(src(text), gazetteer=gaz, warnings=warnings)
    a, b = (d.shift for d in r.duties)
    assert (a.start_location.lat, a.start_location.lon, a.base) == (51.752, -0.336, "St Albans")
    assert (b.start_location.lat, b.base) == (51.9, "SG1 9ZZ")  # the district's centre
    assert [str(w) for w in warnings] == [str(w) for w in r.warnings] == [
        "eroster.csv, row 3, column base_postcode: SG1 9ZZ is not in the postcode file: placed at "
        "the centre of district SG1, which may be kilometres from the door; check the postcode"]
    assert problems(text) == [
        "eroster.csv, row 2, column base_postcode: AL1 3HD: no postcode file to place it; give "
        "base_lat and base_lon, or a postcode file (HAH_POSTCODE_FILE for the web app)",
        "eroster.csv, row 3, column base_postcode: SG1 9ZZ: no postcode file to place it; give "
        "base_lat and base_lon, or a postcode file (HAH_POSTCODE_FILE for the web app)"]
    assert problems(text.replace("SG1 9ZZ", "EN1 1AA"), gazetteer=gaz) == [
        "eroster.csv, row 3, column base_postcode: EN1 1AA: neither the postcode nor its "
        "district EN1 is in the postcode file"]


# -- night duties, planning days and the clock changes -----------------------------------------


@pytest.mark.parametrize(("day", "minutes"), [(date(2026, 10, 24), 690),
                                             (date(2026, 3, 28), 570),
                                             (date(2026, 11, 23), 630)])  # fmt: skip
def test_a_21_to_0730_night_lasts_its_real_length_on_the_clock_change_nights(day, minutes):
    """The break window's 01:00 needs no offset: on the October night it is read as the
    first 01:00 (the wider window), on the March night as it is (01:00 GMT, just before the
    clocks go forward)."""
    text = HEAD + f"S1,Al,RN5,,,{day},21:00,07:30,60,01:00,04:00,B,51.75,-0.33,,N\n"
    [duty] = read_eroster(src(text)).duties
    s = duty.shift
    assert (s.end - s.start).total_seconds() / 60 == minutes
    assert (hm(s.start), hm(s.end), duty.day) == ("21:00", "07:30", day)
    assert s.start == at_local(day, 21) and s.end == at_local(day + timedelta(days=1), 7, 30)
    assert s.rest_break is not None
    assert s.rest_break.window.start == at_local(day + timedelta(days=1), 1, fold=0)


def test_utc_moments_on_the_clock_change_nights():
    """October: 21:00 BST is 20:00 UTC, 07:30 GMT is 07:30 UTC. March: 21:00 GMT is 21:00
    UTC, 07:30 BST is 06:30 UTC."""
    october = read_eroster(src(HEAD + "S1,Al,RN5,,,2026-10-24,21:00,07:30,,,,B,51.75,-0.33,,\n"))
    march = read_eroster(src(HEAD + "S1,Al,RN5,,,2026-03-28,21:00,07:30,,,,B,51.75,-0.33,,\n"))
    got = [(f"{d.shift.start:%Y-%m-%dT%H:%M%z}", f"{d.shift.end:%Y-%m-%dT%H:%M%z}")
           for d in (*october.duties, *march.duties)]  # fmt: skip
    assert got == [("2026-10-24T20:00+0000", "2026-10-25T07:30+0000"),
                   ("2026-03-28T21:00+0000", "2026-03-29T06:30+0000")]  # fmt: skip


def test_the_hours_the_clocks_skip_or_repeat_need_an_offset():
    skipped = one_row("S2,Bo,RN5,,,2026-03-29,01:30,09:00,,,,B,51.75,-0.33,,", "2026-03-29")
    assert problems(skipped) == [
        "eroster.csv, row 3, column start: 2026-03-29T01:30 does not exist in Europe/London: "
        "the clocks go forward an hour that night; give the time after the change, or an offset"]
    repeated = one_row("S2,Bo,RN5,,,2026-10-25,01:30,15:00,,,,B,51.75,-0.33,,", "2026-10-25")
    [why] = problems(repeated)
    assert why.startswith("eroster.csv, row 3, column start: 2026-10-25T01:30 happens twice")
    first = read_eroster(src(repeated.replace(",01:30,", ",01:30+01:00,")))
    second = read_eroster(src(repeated.replace(",01:30,", ",01:30+00:00,")))
    [a] = [d.shift for d in first.duties if d.shift.clinician_id == "S2"]
    [b] = [d.shift for d in second.duties if d.shift.clinician_id == "S2"]
    assert (a.end - a.start, b.end - b.start) == (timedelta(hours=14, minutes=30),
                                                  timedelta(hours=13, minutes=30))
    # written back, the ambiguous start carries its offset and reads as the same moment
    again = read_eroster(src(eroster_text([duty_cells(a)])))
    assert again.duties[0].shift == a
    assert duty_cells(a)[6] == "01:30+01:00"


def test_a_break_window_edge_the_clocks_repeat_is_read_as_the_wider_window():
    text = HEAD + "S1,Al,RN5,,,2026-10-24,21:00,07:30,30,00:30,01:30,B,51.75,-0.33,,N\n"
    [duty] = read_eroster(src(text)).duties
    assert duty.shift.rest_break is not None
    window = duty.shift.rest_break.window
    assert (f"{window.start:%H:%M}", f"{window.end:%H:%M}") == ("23:30", "01:30")  # UTC: the second 01:30
    written = duty_cells(duty.shift)
    assert written[9:11] == ["00:30", "01:30+00:00"]
    assert read_eroster(src(eroster_text([written]))).duties[0].shift == duty.shift


def test_a_duty_belongs_to_the_planning_day_holding_its_middle():
    d = date(2026, 11, 23)
    cases = [((7, 0), (15, 0), d), ((6, 30), (14, 30), d), ((21, 0), (31, 30), d),
             ((14, 30), (22, 30), d), ((0, 30), (8, 30), d - timedelta(days=1)),
             ((3, 0), (7, 0), d - timedelta(days=1)), ((5, 0), (13, 0), d)]  # fmt: skip
    for (h0, m0), (h1, m1), want in cases:
        assert planning_day(at_local(d, h0, m0), at_local(d, h1, m1)) == want, (h0, m0)
    # on the October night the middle of a 21:00–07:30 night is after midnight: still the 24th
    oct24 = date(2026, 10, 24)
    assert planning_day(at_local(oct24, 21), at_local(oct24, 31, 30)) == oct24


def test_an_end_at_the_start_is_a_24_hour_duty():
    [duty] = read_eroster(src(HEAD + "S1,Al,RN5,,,2026-11-23,08:00,08:00,,,,B,51.75,-0.33,,\n")).duties
    assert duty.shift.end - duty.shift.start == timedelta(hours=24)


# -- bad rows -------------------------------------------------------------------------------------


def test_every_bad_cell_is_named_by_row_and_column_all_at_once():
    text = HEAD + "\n".join([
        "S1,Al,RN5,,,2026-11-23,07:00,15:00,30,,,B,51.75,-0.33,,",  # row 2: fine
        ",,RN5,,,2026-11-23,07:00,15:00,,,,B,51.75,-0.33,,",  # row 3
        "S3,Cy,RN9,,,2026-11-23,07:00,15:00,,,,B,51.75,-0.33,,",  # row 4
        "S4,Di,RN5,,X,2026-11-31,07:00,15:00,,,,B,51.75,-0.33,,",  # row 5
        "S5,Ed,RN5,,,2026-11-23,7am,25:00,,,,B,51.75,-0.33,,",  # row 6
        "S6,Fi,RN5,,,2026-11-23,07:00,15:00,-5,,,B,51.75,-0.33,,",  # row 7
        "S7,Gu,RN5,,,2026-11-23,07:00,08:00,90,,,B,51.75,-0.33,,",  # row 8
        "S8,Hu,RN5,,,2026-11-23,07:00,15:00,30,13:00,12:00,B,51.75,-0.33,,",  # row 9
        "S9,Io,RN5,,,2026-11-23,07:00,15:00,,,,B,0,0,,",  # row 10
        "S10,Jo,RN5,,,2026-11-23,07:00,15:00,,,,B,151.75,-0.33,,",  # row 11
        "S11,Ka,RN5,,,2026-11-23,07:00,15:00,,,,B,,,,",  # row 12
        "S12,Li,RN5,,,2026-11-23,,,,,,B,51.75,-0.33,,",  # row 13
        "S13,Mo,RN5,,,2026-11-23,07:00,15:00,,,,B,51.75,-0.33,XX,",  # row 14: lat/lon win
        "S14,Ni,RN5,,,2026-11-23,07:00,15:00,30,16:00,17:00,B,51.75,-0.33,,",  # row 15
        "S15,Ol,RN5,,,2026-11-23,07:00,15:00,,,,B,,,XX,",  # row 16
        "S16,Pa,RN5,,,2026-11-23,07:00,15:00,10.5,,,B,51.75,-0.33,,",  # row 17
        f"S17,{'Q' * 201},RN5,,,2026-11-23,07:00,15:00,,,,{'B' * 201},51.75,-0.33,,{'E' * 33}",  # row 18
    ]) + "\n"  # fmt: skip
    assert problems(text) == [
        "eroster.csv, row 3, column staff_id: is empty",
        "eroster.csv, row 3, column name: is empty",
        "eroster.csv, row 4, column grade: 'RN9' is not a grade whose skills are known "
        "(HCA, RN5, RN6, AP): give its skills",
        "eroster.csv, row 5, column date: '2026-11-31' is not a date; write it as YYYY-MM-DD "
        "(or DD/MM/YYYY)",
        "eroster.csv, row 5, column gender: 'X' is not F or M (empty: not stated)",
        "eroster.csv, row 6, column start: '7am' is not a time of day; write it as HH:MM (local time)",
        "eroster.csv, row 6, column end: '25:00' is not a time of day; write it as HH:MM (local time)",
        "eroster.csv, row 7, column break_min: '-5' must be at least 0",
        "eroster.csv, row 8, column break_min: a 90 min break is longer than the duty",
        "eroster.csv, row 9, column break_latest: the break window ends (12:00) before it starts (13:00)",
        "eroster.csv, row 10, column base_lat: 0, 0 is a missing geocode: the address was never "
        "turned into coordinates",
        "eroster.csv, row 11, column base_lat: latitude 151.75 is off the map (must be between -90 and 90)",
        "eroster.csv, row 12, column base_lat: is empty: give the base's base_lat and base_lon, "
        "or its base_postcode",
        "eroster.csv, row 13, column start: is empty: a working duty needs its start and end (a "
        "row of leave, sickness or study needs its duty code, as AL)",
        "eroster.csv, row 15, column break_earliest: the break window lies outside the shift",
        "eroster.csv, row 16, column base_postcode: 'XX' is not a UK postcode (e.g. AL1 3HD)",
        "eroster.csv, row 17, column break_min: '10.5' is not a whole number of minutes",
        "eroster.csv, row 18, column duty_code: is 33 characters long; at most 32",
        "eroster.csv, row 18, column name: is 201 characters long; at most 200",
        "eroster.csv, row 18, column base: is 201 characters long; at most 200",
    ]


def test_one_person_one_name_one_duty_a_day_and_no_overlaps():
    text = HEAD + "\n".join([
        "S1,Al,RN5,,,2026-11-23,07:00,15:00,,,,B,51.75,-0.33,,",  # row 2
        "S1,Al,RN5,,,2026-11-23,16:00,20:00,,,,B,51.75,-0.33,,",  # row 3: same day
        "S1,Alan,RN5,,,2026-11-24,14:00,22:00,,,,B,51.75,-0.33,,",  # row 4: another name
        "S2,Bo,RN5,,,2026-11-23,21:00,07:30,,,,B,51.75,-0.33,,",  # row 5: a night
        "S2,Bo,RN5,,,2026-11-24,07:00,15:00,,,,B,51.75,-0.33,,",  # row 6: before it ends
    ]) + "\n"  # fmt: skip
    assert problems(text) == [
        "eroster.csv, row 4, column name: S1 is 'Al' on row 2: one staff id is one person",
        "eroster.csv, row 3, column date: S1 already has a duty on planning day 2026-11-23 (row "
        "2, 07:00–15:00): one duty a planning day per person",
        "eroster.csv, row 6, column start: S2's duty 07:00–15:00 starts before the duty of row 5 "
        "(21:00–07:30) ends",
    ]


def test_a_duty_whose_planning_day_the_export_does_not_cover_is_refused():
    text = HEAD + ("S1,Al,RN5,,,2026-11-23,07:00,15:00,,,,B,51.75,-0.33,,\n"
                   "S2,Bo,RN5,,,2026-11-23,03:00,07:00,,,,B,51.75,-0.33,,\n")  # fmt: skip
    assert problems(text) == [
        "eroster.csv, row 3, column start: the duty 03:00–07:00 belongs to planning day "
        "2026-11-22 (planning days run 07:00 to 07:00), which this export, 2026-11-23 to "
        "2026-11-23, does not cover: export that day too"]
    with_the_day_before = text + "S3,Cy,RN5,,,2026-11-22,,,,,,,,,,AL\n"
    r = read_eroster(src(with_the_day_before))
    assert [(d.day, d.shift.clinician_id) for d in r.duties] == [
        (date(2026, 11, 22), "S2"), (date(2026, 11, 23), "S1")]


def test_files_that_cannot_be_read_as_an_export():
    assert problems("") == ["eroster.csv: the file is empty"]
    assert problems(HEAD) == ["eroster.csv: has a header but no data rows"]
    assert problems("staff_id,name,grade,date,start,end,base_lat,base_lon\n") == [
        "eroster.csv: has a header but no data rows"]
    assert problems("staff_id,name,date,start,end,base_lat,base_lon\nS1,A,2026-11-23,07:00,15:00,51,0\n") == [
        "eroster.csv, row 1, column grade: required column is missing"]
    assert problems("staff_id,name,grade,date,start,end\nS1,A,HCA,2026-11-23,07:00,15:00\n") == [
        "eroster.csv, row 1: needs columns base_lat and base_lon, or base_postcode"]
    far = HEAD + "".join(f"S{n},N{n},HCA,,,2026-11-23,07:00,15:00,,,,B,51.75,-0.33,,\n" for n in range(3))
    assert problems(far + "S9,Z,HCA,,,2026-11-23,07:00,15:00,,,,B,-0.33,51.75,,\n") == [
        "eroster.csv, row 5, column base_lat: -0.33, 51.75 is 6811 km from the rest of the day "
        "— are lat and lon swapped?"]
    long = HEAD + ("S1,A,HCA,,,2026-01-01,07:00,15:00,,,,B,51.75,-0.33,,\n"
                   "S1,A,HCA,,,2026-06-01,07:00,15:00,,,,B,51.75,-0.33,,\n")  # fmt: skip
    assert problems(long) == ["eroster.csv, column date: runs from 2026-01-01 to 2026-06-01, "
                              "152 days; an export may cover at most 93 (a quarter): export "
                              "fewer weeks"]
    assert problems(HEAD + "S1,A,HCA,,,soon,,,,,,,,,,AL\n") == [
        "eroster.csv, row 2, column date: 'soon' is not a date; write it as YYYY-MM-DD (or DD/MM/YYYY)"]
