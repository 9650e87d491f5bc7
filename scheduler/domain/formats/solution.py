"""A rota's output files (``docs/formats.md``): rota.csv, unassigned.csv, summary.json and,
on request, the travel matrix (locations.csv, travel_min.csv), written all or nothing.

Every file is serialised in memory first, then into a temporary folder beside the output, and
moved in only when all of them are ready, so a refused or failed run leaves nothing half
written. ``scheduler.domain.formats.rota`` reads them back.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterable, Sequence
from datetime import datetime
from pathlib import Path

from scheduler.domain.formats.tabular import csv_text
from scheduler.domain.localtime import contract_text
from scheduler.domain.model import Problem, Rota

ROTA_COLUMNS = ("clinician_id", "seq", "kind", "visit_id", "arrive", "start", "end", "travel_min")
UNASSIGNED_COLUMNS = ("visit_id", "reason", "code")
LOCATION_COLUMNS = ("index", "lat", "lon")
MATRIX_FILES = ("locations.csv", "travel_min.csv")


def _fmt(t: datetime) -> str:
    """Local ``YYYY-MM-DDTHH:MM``, with the offset where the local time is ambiguous."""
    return contract_text(t)


def _csv(rows: Iterable[Iterable], header: Sequence[str] | None = None) -> str:
    """Formula cells neutralised (``tabular.neutralise``): a visit id or reason such as
    ``=HYPERLINK(…)`` is written as text, and ``formats.rota`` reads it back unchanged."""
    return csv_text(header, rows)


def solution_files(
    problem: Problem, rota: Rota, summary: dict, *, export_matrix: bool
) -> dict[str, str]:
    """Every output file's text, built in memory first so that writing cannot half-fail."""
    rota_rows = []
    for route in rota.routes:
        for seq, s in enumerate(route.stops, start=1):
            rota_rows.append(
                [
                    route.clinician_id,
                    seq,
                    s.kind,
                    s.visit_id or "",
                    _fmt(s.arrive),
                    _fmt(s.start),
                    _fmt(s.end),
                    s.travel_min,
                ]
            )
    files = {
        "rota.csv": _csv(rota_rows, ROTA_COLUMNS),
        "unassigned.csv": _csv(
            ([u.visit_id, u.reason, str(u.code.value)] for u in rota.unassigned),
            UNASSIGNED_COLUMNS,
        ),
        "summary.json": json.dumps(summary, indent=2, sort_keys=True) + "\n",
    }
    if export_matrix:
        files["locations.csv"] = _csv(
            ([i, f"{p.lat:.6f}", f"{p.lon:.6f}"] for i, p in enumerate(problem.travel.locations)),
            LOCATION_COLUMNS,
        )
        files["travel_min.csv"] = _csv(problem.travel.minutes.tolist())
    return files


def write_solution(
    out_dir: str | Path, problem: Problem, rota: Rota, summary: dict, *, export_matrix: bool = False
) -> list[Path]:
    """Write the contract's output files into ``out_dir``, all or nothing.

    Every file is serialised in memory and written into a temporary folder beside ``out_dir``
    first; only then are they moved in (a new ``out_dir`` is the temporary folder renamed).
    Any exception before that (e.g. a summary value JSON cannot hold) leaves ``out_dir`` as
    it was. Without ``export_matrix``, a matrix left by an earlier run is removed so that
    ``hah check`` never pairs this rota with another day's travel times.
    """
    out = Path(out_dir).absolute()
    files = solution_files(problem, rota, summary, export_matrix=export_matrix)
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}-", dir=out.parent))
    try:
        for name, text in files.items():
            (staging / name).write_text(text, encoding="utf-8")
        if not out.exists():
            umask = os.umask(0)
            os.umask(umask)
            staging.chmod(0o777 & ~umask)
            staging.rename(out)
        else:
            for name in files:
                os.replace(staging / name, out / name)
        if not export_matrix:
            for stale in MATRIX_FILES:
                (out / stale).unlink(missing_ok=True)
        return [out / name for name in files]
    finally:
        shutil.rmtree(staging, ignore_errors=True)
