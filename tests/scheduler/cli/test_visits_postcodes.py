"""``hah visits --postcodes``: a caseload given by postcode expands to a day placed offline."""

from __future__ import annotations

from scheduler.cli import main
from scheduler.domain.formats.day import read_visits


def test_hah_visits_places_patients_from_the_postcode_file_and_warns_by_row(tmp_path, capsys):
    (tmp_path / "pc.csv").write_text(
        "pcds,lat,long\nAL1 3HD,51.752,-0.336\nAL1 3JB,51.754,-0.334\n"
    )
    (tmp_path / "patients.csv").write_text("patient_id,postcode\nP1,AL1 3HD\nP2,AL1 7ZZ\n")
    (tmp_path / "careplans.csv").write_text("patient_id,regimen,frequency\nP1,obs,2\nP2,obs,1\n")
    out = tmp_path / "visits.csv"
    code = main(["visits", "--patients", str(tmp_path / "patients.csv"), "--careplans",
                 str(tmp_path / "careplans.csv"), "--date", "2026-12-07", "--out", str(out),
                 "--postcodes", str(tmp_path / "pc.csv")])  # fmt: skip
    assert code == 0
    err = capsys.readouterr().err
    assert "warning: patients.csv, row 3, column postcode:" in err and "district AL1" in err
    visits = read_visits(out)
    assert {v.patient_id: v.location.lat for v in visits} == {"P1": 51.752, "P2": 51.753}


def test_hah_visits_refuses_a_postcode_file_in_neither_format(tmp_path, capsys):
    (tmp_path / "pc.csv").write_text("a,b\n1,2\n")
    (tmp_path / "patients.csv").write_text("patient_id,postcode\nP1,AL1 3HD\n")
    (tmp_path / "careplans.csv").write_text("patient_id,regimen,frequency\nP1,obs,2\n")
    code = main(["visits", "--patients", str(tmp_path / "patients.csv"), "--careplans",
                 str(tmp_path / "careplans.csv"), "--date", "2026-12-07", "--out",
                 str(tmp_path / "v.csv"), "--postcodes", str(tmp_path / "pc.csv")])  # fmt: skip
    assert code == 2
    assert "pc.csv: " in capsys.readouterr().err
    assert not (tmp_path / "v.csv").exists()
