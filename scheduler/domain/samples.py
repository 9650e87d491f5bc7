"""Where the bundled synthetic Hertfordshire service lives (``sample_data/`` at the top of
the repository), named once so the demo, the capacity scenario and the tests agree."""

from pathlib import Path

SAMPLE_DIR = Path(__file__).resolve().parents[2] / "sample_data"
