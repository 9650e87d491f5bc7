"""The hazard log names, for every control, the test that proves it: each named test must
exist, so a renamed or deleted test cannot leave a control the log claims unproven."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LOG = ROOT / "docs" / "safety" / "hazard-log.md"
CITED = re.compile(r"`(tests/[\w/]+\.py)::(test_\w+)`")


def _tests_in(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}


def test_every_test_the_hazard_log_cites_exists():
    cited = CITED.findall(LOG.read_text(encoding="utf-8"))
    assert len(cited) >= 20  # the log cites its proofs; an empty match would prove nothing
    missing = [f"{f}::{t}" for f, t in cited if t not in _tests_in(ROOT / f)]
    assert missing == []


def test_every_hazard_has_a_control_and_a_status():
    rows = [line for line in LOG.read_text(encoding="utf-8").splitlines()
            if re.match(r"\| H\d+ \|", line)]  # fmt: skip
    assert rows
    for row in rows:
        cells = [c.strip() for c in row.strip("|").split("|")]
        assert len(cells) == 7, row
        status = cells[6]
        assert status.startswith(("controlled", "partly", "**open**")), row
        if status.startswith("controlled"):
            assert CITED.search(cells[5]), f"{cells[0]} is 'controlled' without a test"
