"""``hah fhir import`` and ``hah fhir appointments``: a bundle to the caseload's files, and
a rota in a folder to a bundle of Appointments; refusals exit 2 and write nothing."""

from __future__ import annotations

import json

from scheduler.cli import main
from scheduler.domain.careplan import (
    read_caseload,
    read_patients,
    write_clinicians_csv,
    write_visits_csv,
)
from scheduler.domain.check import check
from scheduler.domain.formats.fhir import read_bundle
from scheduler.domain.formats.fhir.codes import NHS_NUMBER_SYSTEM
from scheduler.domain.formats.fhir.synthetic import synthetic_bundle, synthetic_caseload
from scheduler.domain.formats.solution import write_solution
from scheduler.domain.model import Rota
from scheduler.domain.retime import retime
from tests.support.factories import make_problem, shift, visit, when
from tests.support.fhir import BAD_NHS, antibiotic, bundle, care_plan, parsed_resources, patient


def test_import_writes_patients_and_careplans_that_read_back(tmp_path, capsys):
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(synthetic_bundle(25, seed=4)))
    assert main(["fhir", "import", str(path), "--out", str(tmp_path / "caseload")]) == 0
    patients, items = read_caseload(tmp_path / "caseload" / "patients.csv", tmp_path / "caseload" / "careplans.csv")
    want_patients, want_items = synthetic_caseload(25, seed=4)
    assert [(p.patient_id, p.location) for p in patients] == [(p.patient_id, p.location) for p in want_patients]
    assert items == want_items
    assert "25 patients and" in capsys.readouterr().out


def test_import_refuses_a_bad_bundle_and_one_that_leaves_patients_unplaced(tmp_path, capsys):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(bundle(patient(identifier=[{"system": NHS_NUMBER_SYSTEM, "value": BAD_NHS}]), care_plan(), antibiotic())))
    assert main(["fhir", "import", str(bad), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "bad.json, entry[0], Patient/pat-1 identifier[0].value:" in err and "input refused: 1 problem(s); nothing written" in err
    unplaced = tmp_path / "postcodes.json"
    unplaced.write_text(json.dumps(synthetic_bundle(10, seed=1, unlocated_share=1.0)))
    assert main(["fhir", "import", str(unplaced), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "postcodes.json, entry[0], Patient/P0001 address[0]: has no geolocation extension: give a postcode file" in err
    assert "hah fhir import --postcodes FILE" in err
    assert not (tmp_path / "out").exists()


def test_import_places_patients_without_geolocation_from_the_postcode_file(tmp_path, capsys):
    bundle_file = tmp_path / "postcodes.json"
    bundle_file.write_text(json.dumps(synthetic_bundle(10, seed=1, unlocated_share=1.0)))
    patients, _ = read_bundle(bundle_file)
    first = patients[0].postcode
    # the trust's file holds the first patient's postcode; the others fall back to districts
    rows = [f"{first},51.75,-0.33"] + [f"{d} 1AA,51.80,-0.20" for d in {p.postcode.split()[0] for p in patients}]
    (tmp_path / "pc.csv").write_text("pcds,lat,long\n" + "\n".join(dict.fromkeys(rows)) + "\n")
    out = tmp_path / "out"
    assert main(["fhir", "import", str(bundle_file), "--out", str(out), "--postcodes", str(tmp_path / "pc.csv")]) == 0
    err = capsys.readouterr().err
    assert "warning: postcodes.json, entry[1], Patient/P0002 address[0].postalCode: is not in pc.csv: placed at the centre of its postcode district" in err
    assert patients[1].postcode not in err  # a Patient's problems never repeat her values
    placed = {p.patient_id: p for p in read_patients(out / "patients.csv")}
    assert (placed["P0001"].location.lat, placed["P0001"].location.lon) == (51.75, -0.33)
    assert len(placed) == 10


def test_appointments_from_a_rota_folder_validate_and_carry_nhs_numbers(tmp_path, capsys):
    visits = [visit("V1", 1, 0, "09:00", "10:00", patient_id="pat-1"),
              visit("V2", 2, 0, "10:00", "12:00", patient_id="pat-1", staff=2)]  # fmt: skip
    shifts = [shift("N1", "08:00", "16:00"), shift("N2", "08:00", "16:00")]
    problem = make_problem(visits, shifts)
    rota = retime(problem, Rota(()), {"N1": ["V1", "V2"], "N2": ["V2"]})
    assert check(problem, rota).ok
    write_visits_csv(visits, tmp_path / "visits.csv")
    write_clinicians_csv(shifts, tmp_path / "clinicians.csv")
    write_solution(tmp_path / "rota", problem, rota, {}, export_matrix=True)
    caseload = tmp_path / "caseload.json"
    caseload.write_text(json.dumps(bundle(patient(), care_plan(), antibiotic())))
    out = tmp_path / "appointments.json"
    assert main(["fhir", "appointments", "--visits", str(tmp_path / "visits.csv"), "--clinicians",
                 str(tmp_path / "clinicians.csv"), "--rota", str(tmp_path / "rota"),
                 "--caseload", str(caseload), "--out", str(out)]) == 0  # fmt: skip
    assert "2 appointments written" in capsys.readouterr().out
    first, pair = parsed_resources(out.read_text())
    assert first.participant[0].actor.identifier.value == "9990000018"
    assert len(pair.participant) == 3
    assert first.start == when("2026-11-23T09:00")
