"""Care plans into visits: dose counts and windows, the planning day, fluids, bad rows."""

from __future__ import annotations

import itertools
from datetime import date, time, timedelta

import pytest

from scheduler.domain.careplan import (
    CarePlanItem,
    Patient,
    expand,
    read_careplans,
    visits_csv_text,
    write_careplans_csv,
)
from scheduler.domain.errors import InputError
from scheduler.domain.formats.day import read_visits
from scheduler.domain.localtime import hm
from scheduler.domain.model import Location
from tests.support.factories import MARCH_EVE, OCTOBER_EVE, when

D = date(2026, 11, 23)
PAT = Patient("P1", Location(51.8, -0.2), "1 Test Road", "N1")


def doses(freq: str, first: str, **kw):
    item = CarePlanItem("P1", "iv_antibiotic", freq, time.fromisoformat(first), **kw)
    return expand([PAT], [item], D)


@pytest.mark.parametrize(
    ("freq", "first", "count"),
    [("q6h", "00:00", 4), ("q8h", "06:00", 3), ("q12h", "08:00", 2), ("q24h", "10:00", 1)],
)
def test_dose_counts_per_planning_day(freq, first, count):
    """Each regimen gives 24/interval doses in the day, priority 1, IV, windows ±30 (±60 q24h)."""
    visits = doses(freq, first)
    assert len(visits) == count
    tol = 60 if freq == "q24h" else 30
    for v in visits:
        assert v.priority == 1 and "IV" in v.skills
        assert v.window.end - v.window.start == timedelta(minutes=2 * tol)
        assert v.preferred_clinician == "N1"


def test_a_midnight_dose_belongs_to_the_night_before_and_seven_oclock_to_the_next_day():
    """q6h from 01:00: 07:00 D, 13:00, 19:00, 01:00 D+1 belong to D; 07:00 D+1 does not."""
    nominal = sorted(v.window.start + timedelta(minutes=30) for v in doses("q6h", "01:00"))
    assert nominal == [
        when("2026-11-23T07:00"),
        when("2026-11-23T13:00"),
        when("2026-11-23T19:00"),
        when("2026-11-24T01:00"),
    ]


def test_a_care_plans_priority_and_staff_override_the_regimens_defaults():
    """careplans.csv's optional ``priority`` and ``staff`` win over the regimen's own (a dose
    is priority 1, obs staff 1); both used to fail with "multiple values" in ``Visit()``."""
    (dose,) = doses("q24h", "10:00", priority=2)
    assert dose.priority == 2
    obs = expand([PAT], [CarePlanItem("P1", "obs", "2", staff=2, priority=3)], D)
    assert [(v.staff, v.priority) for v in obs] == [(2, 3), (2, 3)]
    (care,) = expand([PAT], [CarePlanItem("P1", "double_handed_care", "1", priority=1)], D)
    assert (care.staff, care.priority) == (2, 1)


def test_picc_lines_need_the_picc_skill():
    """A central line adds PICC to the dose's skills."""
    (v,) = doses("q24h", "10:00", line="picc")
    assert v.skills == {"IV", "PICC"}


def test_fluids_give_a_connection_and_a_disconnection_after_the_bag_has_run():
    """Connect (priority 1) then disconnect after_visit with a gap of run_hours."""
    item = CarePlanItem("P1", "iv_fluids", "1", time(9, 0), run_hours=4)
    on, off = expand([PAT], [item], D)
    assert on.priority == 1 and off.after_visit == on.visit_id and off.min_gap_min == 240
    assert off.window.start >= on.window.start + timedelta(minutes=on.duration_min + 240)


def test_other_regimens_and_date_ranges():
    """Obs twice a day, morning bloods, an AP review, double-handed care; an ended regimen
    and a future one give nothing."""
    items = [
        CarePlanItem("P1", "obs", "2"),
        CarePlanItem("P1", "bloods"),
        CarePlanItem("P1", "review"),
        CarePlanItem("P1", "double_handed_care", "1"),
        CarePlanItem("P1", "obs", "1", end_date=date(2026, 11, 22)),
        CarePlanItem("P1", "review", start_date=date(2026, 11, 24)),
    ]
    visits = expand([PAT], items, D)
    kinds = [v.visit_type for v in visits]
    assert kinds.count("NEWS2 observations") == 2
    bloods = next(v for v in visits if v.visit_type.startswith("Bloods"))
    assert bloods.window.end.time() == time(10, 30) and bloods.skills == {"PHLEB"}
    assert next(v for v in visits if v.visit_type == "Clinical review").skills == {"AP"}
    assert next(v for v in visits if v.visit_type == "Double-handed care").staff == 2
    assert len(visits) == 5
    assert len({v.visit_id for v in visits}) == 5


def test_bad_careplan_rows_are_named(tmp_path):
    """Unknown regimen, bad frequency, bad time, unknown patient, reversed dates: all reported."""
    path = tmp_path / "careplans.csv"
    path.write_text(
        "patient_id,regimen,frequency,first_time,start_date,end_date\n"
        "P1,chemo,,,,\n"
        "P1,iv_antibiotic,q5h,08:00,,\n"
        "P1,iv_antibiotic,q8h,8 o'clock,,\n"
        "P9,obs,1,,,\n"
        "P1,obs,1,,2026-11-30,2026-11-01\n"
    )
    with pytest.raises(InputError) as err:
        read_careplans(path, {"P1"})
    found = {(i.row, i.column) for i in err.value.issues}
    assert {
        (2, "regimen"),
        (3, "frequency"),
        (4, "first_time"),
        (5, "patient_id"),
        (6, "end_date"),
    } <= found


def test_careplans_round_trip_through_csv(tmp_path):
    """What the generator writes, the reader reads back unchanged."""
    items = [
        CarePlanItem("P1", "iv_antibiotic", "q8h", time(6, 0), line="picc"),
        CarePlanItem("P1", "obs", "2"),
    ]
    write_careplans_csv(items, tmp_path / "c.csv")
    assert read_careplans(tmp_path / "c.csv", {"P1"}) == tuple(items)


def test_midnight_dose_of_d_plus_1_is_in_d_and_seven_oclock_is_not():
    """q6h anchored at 00:00: 12:00, 18:00 D and 00:00, 06:00 D+1 belong to D; q6h from 07:00
    gives 07:00, 13:00, 19:00 D and 01:00 D+1 but not 07:00 D+1 (that is D+1's)."""
    from_midnight = sorted(v.window.start + timedelta(minutes=30) for v in doses("q6h", "00:00"))
    assert from_midnight == [
        when("2026-11-23T12:00"),
        when("2026-11-23T18:00"),
        when("2026-11-24T00:00"),
        when("2026-11-24T06:00"),
    ]
    from_seven = [v.window.start + timedelta(minutes=30) for v in doses("q6h", "07:00")]
    assert when("2026-11-23T07:00") in from_seven
    assert when("2026-11-24T07:00") not in from_seven
    assert len(from_seven) == 4


def test_dose_ids_are_unique_and_deterministic():
    """Two expansions give identical visits; ids carry patient, regimen and nominal time."""
    a, b = doses("q8h", "06:00"), doses("q8h", "06:00")
    assert a == b
    assert sorted(v.visit_id for v in a) == ["P1-abx-0600", "P1-abx-1400", "P1-abx-2200"]


def test_day_start_moves_the_planning_day():
    """With day_start 08:00, a q8h dose at 07:00 D+1 falls inside D's plan."""
    item = CarePlanItem("P1", "iv_antibiotic", "q8h", time(7, 0))
    visits = expand([PAT], [item], D, day_start=time(8, 0))
    nominal = sorted(v.window.start + timedelta(minutes=30) for v in visits)
    assert nominal == [
        when("2026-11-23T15:00"),
        when("2026-11-23T23:00"),
        when("2026-11-24T07:00"),
    ]


def test_bad_run_hours_and_missing_antibiotic_time_are_refused(tmp_path):
    """A bag that runs 0 hours (which would make a negative gap) and an antibiotic with no
    first dose time are input errors, not a crash or a silent 08:00."""
    path = tmp_path / "careplans.csv"
    path.write_text(
        "patient_id,regimen,frequency,first_time,run_hours\n"
        "P1,iv_fluids,1,09:00,0\n"
        "P1,iv_antibiotic,q8h,,\n"
        "P1,obs,7,,\n"
    )
    with pytest.raises(InputError) as err:
        read_careplans(path, {"P1"})
    found = {(i.row, i.column) for i in err.value.issues}
    assert {(2, "run_hours"), (3, "first_time"), (4, "frequency")} <= found


def test_written_visits_read_back_through_the_contract_reader(tmp_path):
    """visits.csv from expand() is accepted by scheduler.domain.formats.day and gives the same visits."""
    from scheduler.domain.careplan import write_visits_csv
    from scheduler.domain.formats.day import read_visits

    items = [
        CarePlanItem("P1", "iv_antibiotic", "q12h", time(8, 0), line="picc"),
        CarePlanItem("P1", "iv_fluids", "1", time(10, 0), run_hours=4),
        CarePlanItem("P1", "double_handed_care", "2"),
    ]
    visits = expand([PAT], items, D)
    write_visits_csv(visits, tmp_path / "visits.csv")
    assert read_visits(tmp_path / "visits.csv") == tuple(visits)


def test_patients_file_is_read_with_its_preferred_clinician(tmp_path):
    """read_patients keeps address and preferred clinician; a repeated id is named."""
    from scheduler.domain.careplan import read_patients

    good = tmp_path / "patients.csv"
    good.write_text("patient_id,lat,lon,address,preferred_clinician\nP1,51.8,-0.2,1 Elm Way,C007\n")
    (p,) = read_patients(good)
    assert p.preferred_clinician == "C007" and p.address == "1 Elm Way"
    bad = tmp_path / "dup.csv"
    bad.write_text("patient_id,lat,lon\nP1,51.8,-0.2\nP1,51.9,-0.2\nP2,north,-0.2\n")
    with pytest.raises(InputError) as err:
        read_patients(bad)
    assert {(3, "patient_id"), (4, "lat")} <= {(i.row, i.column) for i in err.value.issues}


def test_care_plan_files_read_from_bytes_like_from_disk(tmp_path):
    """patients.csv and careplans.csv given as bytes and a name read (and are refused) exactly
    as the same files on disk: same patients and items, same issues by file, row, column."""
    from scheduler.domain.careplan import read_patients
    from scheduler.domain.formats.tabular import CsvSource
    from scheduler.domain.samples import SAMPLE_DIR

    patients, careplans = SAMPLE_DIR / "patients.csv", SAMPLE_DIR / "careplans.csv"
    people = read_patients(CsvSource.from_path(patients))
    assert people == read_patients(patients)
    ids = {p.patient_id for p in people}
    assert read_careplans(CsvSource("careplans.csv", careplans.read_bytes()), ids) == (
        read_careplans(careplans, ids)
    )

    def issues(read, source, *args):
        with pytest.raises(InputError) as err:
            read(source, *args)
        return [(i.file, i.row, i.column, i.message) for i in err.value.issues]

    bad = tmp_path / "careplans.csv"
    bad.write_text("patient_id,regimen,frequency\nP1,chemo,\nP9,obs,7\n")
    assert issues(read_careplans, CsvSource.from_path(bad), {"P1"}) == issues(
        read_careplans, bad, {"P1"}
    )
    bad_people = tmp_path / "patients.csv"
    bad_people.write_text("patient_id,lat,lon\nP1,51.8,-0.2\nP2,95,-0.2\nP1,51.9,-190\n")
    found = issues(read_patients, CsvSource.from_path(bad_people))
    assert found == issues(read_patients, bad_people)
    assert found == [
        ("patients.csv", 3, "lat", "latitude 95.0 is off the map (must be between -90 and 90)"),
        ("patients.csv", 4, "patient_id", "'P1' repeats row 2"),
        (
            "patients.csv",
            4,
            "lon",
            "longitude -190.0 is off the map (must be between -180 and 180)",
        ),
    ]


def test_visits_csv_text_is_what_write_visits_csv_writes_and_reads_back(tmp_path):
    """The in-memory visits.csv (what the web import hands to the reader) is byte for byte the
    file ``hah visits`` writes, and reads back to the same visits."""
    from scheduler.domain.careplan import visits_csv_text, write_visits_csv
    from scheduler.domain.formats.day import read_visits
    from scheduler.domain.formats.tabular import CsvSource

    items = [
        CarePlanItem("P1", "iv_antibiotic", "q8h", time(6, 0), line="picc"),
        CarePlanItem("P1", "iv_fluids", "1", time(10, 0), run_hours=4),
    ]
    visits = expand([PAT], items, D)
    text = visits_csv_text(visits)
    write_visits_csv(visits, tmp_path / "visits.csv")
    assert (tmp_path / "visits.csv").read_bytes() == text.encode("utf-8")
    assert read_visits(CsvSource.from_text(text, "visits.csv")) == tuple(visits)


def _nominal(visits) -> list:
    return sorted(v.window.start + (v.window.end - v.window.start) / 2 for v in visits)


@pytest.mark.parametrize(
    ("eve", "clock"),
    [(OCTOBER_EVE, ["08:00", "14:00", "20:00", "01:00"]),  # back: 20:00 BST + 6 h = 01:00 GMT
     (MARCH_EVE, ["08:00", "14:00", "20:00", "03:00"])],  # forward: 20:00 GMT + 6 h = 03:00 BST
    ids=["october", "march"],
)  # fmt: skip
def test_a_six_hourly_dose_across_the_clock_change_is_six_real_hours_apart(eve, clock):
    """q6h from 08:00 on the day before each change: four doses, each 6 h of real time after
    the one before, shown at the clock times that gives; the next day returns to 08:00."""
    item = CarePlanItem("P1", "iv_antibiotic", "q6h", time(8, 0))
    nominal = _nominal(expand([PAT], [item], eve))
    assert [hm(t) for t in nominal] == clock
    assert [b - a for a, b in itertools.pairwise(nominal)] == [timedelta(hours=6)] * 3
    after = _nominal(expand([PAT], [item], eve + timedelta(days=1)))
    assert hm(after[0]) == "08:00" and after[0] > nominal[-1]


def test_a_dose_in_the_repeated_hour_is_written_with_its_offset_and_read_back(tmp_path):
    """q6h from 07:30 in October: the fourth dose is 01:30 BST (the first 01:30), its window
    01:00 BST to 01:00 GMT; visits.csv carries those offsets and reads back the same visits."""
    item = CarePlanItem("P1", "iv_antibiotic", "q6h", time(7, 30))
    visits = expand([PAT], [item], OCTOBER_EVE)
    assert [hm(t) for t in _nominal(visits)] == ["07:30", "13:30", "19:30", "01:30"]
    night = visits[-1]
    assert night.window.end - night.window.start == timedelta(hours=1)
    text = visits_csv_text(visits)
    assert "2026-10-25T01:00+01:00,2026-10-25T01:00+00:00" in text
    (tmp_path / "visits.csv").write_text(text)
    assert read_visits(tmp_path / "visits.csv") == tuple(visits)


def test_no_dose_falls_between_two_days_plans_in_march():
    """q6h from 06:45 in March: after 00:45 GMT, six real hours would be 07:45 BST, past the
    planning day's end (07:00 BST) and so in nobody's plan; that dose keeps its clock time."""
    item = CarePlanItem("P1", "iv_antibiotic", "q6h", time(6, 45))
    nominal = _nominal(expand([PAT], [item], MARCH_EVE))
    assert [hm(t) for t in nominal] == ["12:45", "18:45", "00:45", "06:45"]
    assert nominal[-1] - nominal[-2] == timedelta(hours=5)
    assert nominal[-1] < _nominal(expand([PAT], [item], MARCH_EVE + timedelta(days=1)))[0]


def test_a_plan_item_from_a_forms_cells_is_checked_as_a_careplans_row_is():
    """``care_item_from_cells``: the very rules of careplans.csv's rows, for a form or a body;
    ``care_item_cells`` writes an item back to cells that read as the same item."""
    from scheduler.domain.careplan import care_item_cells, care_item_from_cells

    item, problems = care_item_from_cells({"patient_id": "P1", "regimen": "iv_antibiotic",
                                           "frequency": "q9h", "first_time": "25:00",
                                           "end_date": "soon"})  # fmt: skip
    assert item is None
    assert problems == [
        ("frequency", "'q9h': antibiotics need q6h, q8h, q12h or q24h"),
        ("end_date", "'soon' is not a date; write it as YYYY-MM-DD"),
        ("first_time", "'25:00' is not a time of day; write it as HH:MM"),
    ]
    item, problems = care_item_from_cells({"patient_id": "P1", "regimen": "iv_fluids",
                                           "frequency": "2", "first_time": " 08:00 ",
                                           "run_hours": "4.5", "start_date": "2026-11-24"})  # fmt: skip
    assert problems == [] and item is not None and item.run_hours == 4.5
    assert care_item_from_cells(care_item_cells(item)) == (item, [])
