"""A generated day on disk: visits.csv, clinicians.csv (the contract's columns, plus a few
extras the reader ignores: setting, district) and spec.json (the spec and its figures)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from benchmarks.dayset.generate import (
    CLINICIAN_COLUMNS,
    GEO_DIR,
    VISIT_COLUMNS,
    generate,
    staffing_figures,
)
from benchmarks.dayset.spec import DaySpec


def _write(path: Path, columns: list[str], rows: list[dict[str, str]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=columns)
        w.writeheader()
        w.writerows(rows)


def write_day(spec: DaySpec, out: Path, geo_dir: Path = GEO_DIR) -> dict:
    """Generate ``spec`` into folder ``out`` (made if missing); returns what spec.json holds."""
    visits, clinicians = generate(spec, geo_dir)
    out.mkdir(parents=True, exist_ok=True)
    _write(out / "visits.csv", VISIT_COLUMNS, visits)
    _write(out / "clinicians.csv", CLINICIAN_COLUMNS, clinicians)
    info = {
        "spec": spec.to_json(),
        "figures": {
            "visits": len(visits),
            "clinicians": len(clinicians),
            **staffing_figures(visits, clinicians),
        },
    }
    (out / "spec.json").write_text(json.dumps(info, indent=1), encoding="utf-8")
    return info
