"""Test-wide settings.

Under CI (``CI`` set) Hypothesis runs a fixed, derandomised set of examples so that a landing
never depends on luck; locally it explores new examples each run (and keeps failures in
``.hypothesis/``), which is where new bugs are found.
"""

import os

import pytest
from hypothesis import settings

settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")


@pytest.fixture(autouse=True)
def _private_travel_cache(tmp_path_factory, monkeypatch):
    """Each test session caches travel matrices in its own folder, never in ~/.cache."""
    monkeypatch.setenv("HAH_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "travel-cache"))
