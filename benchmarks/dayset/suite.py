"""The named suite of days (seeds listed here and in RESULTS.md): twelve specs spanning the
axes of ``DaySpec``, from a small well-staffed town day to a 2,000-visit county day.

A day's seed fixes everything random in it; change a seed and it is another day. The suite's
days are generated at run time (``bench_suite.py``), never committed.
"""

from __future__ import annotations

from benchmarks.dayset.spec import DaySpec

_IV_HEAVY = {"iv_q6h": 0.14, "iv_q8h": 0.24, "iv_q12h": 0.16, "iv_q24h": 0.1, "fluids": 0.08,
             "obs": 0.1, "bloods": 0.08, "review": 0.05, "insulin": 0.05}  # fmt: skip
_LIGHT = {"iv_q6h": 0.02, "iv_q8h": 0.08, "iv_q12h": 0.1, "iv_q24h": 0.15, "fluids": 0.05,
          "obs": 0.25, "bloods": 0.15, "review": 0.12, "insulin": 0.08}  # fmt: skip
_WATFORD_STALBANS = ("WD17", "WD18", "WD19", "WD24", "WD25", "WD23", "AL1", "AL2", "AL3", "AL4")
_NORTH_EAST = ("SG7", "SG8", "SG9", "SG10", "SG11", "SG12", "SG13", "SG14", "CM21", "CM23",
               "SG2", "SG3", "SG4")  # fmt: skip

SUITE: tuple[DaySpec, ...] = (
    DaySpec("urban-250-well", 1301, 250, staffing=1.3, area=_WATFORD_STALBANS,
            geography=(0.8, 0.2, 0.0), base_layout="hub", rural_km=4.0,
            note="small urban day, well staffed, one hub"),
    DaySpec("county-500", 1302, 500, staffing=1.1,
            note="mid-size county day, default mix, four bases"),
    DaySpec("tight-1000", 1303, 1000, staffing=0.85,
            note="1,000 visits, staffed at 0.85 × the need"),
    DaySpec("county-2000", 1304, 2000, staffing=1.05, n_bases=6,
            note="2,000 visits across the county, six bases"),
    DaySpec("dawn-rush-600", 1305, 600, staffing=1.1, dawn_rush=0.7, regimen_mix=_IV_HEAVY,
            shift_mix={"early": 0.5, "late": 0.25, "long_day": 0.1, "night": 0.15},
            note="IV-heavy, 70 % of first doses 06:00–08:00"),
    DaySpec("paired-gapped-500", 1306, 500, staffing=1.15, double_handed=0.15,
            gap_linked=0.2, note="15 % double-handed, 20 % gap-linked"),
    DaySpec("rural-400", 1307, 400, staffing=1.2, area=_NORTH_EAST, geography=(0.1, 0.3, 0.6),
            rural_km=12.0, base_layout="bases", n_bases=3,
            note="rural scatter around north-east market towns"),
    DaySpec("multibase-1200", 1308, 1200, staffing=1.0, n_bases=6, pinned=0.05,
            note="six bases, 5 % pinned"),
    DaySpec("home-start-800", 1309, 800, staffing=1.1, base_layout="home",
            note="every clinician starts and ends at home"),
    DaySpec("continuity-700", 1310, 700, staffing=1.2, preferred=0.5, pinned=0.04,
            regimen_mix=_LIGHT, note="half the visits name a preferred clinician"),
    DaySpec("long-days-1500", 1311, 1500, staffing=0.95, max_visits_share=0.3,
            shift_mix={"early": 0.15, "late": 0.15, "long_day": 0.6, "night": 0.1},
            note="mostly long days, 30 % of shifts capped in visits"),
    DaySpec("loose-300", 1312, 300, staffing=1.3, geography=(0.3, 0.5, 0.2), dawn_rush=0.1,
            regimen_mix=_LIGHT, base_layout="home", note="light care, home starts, roomy"),
)  # fmt: skip
BY_NAME = {s.name: s for s in SUITE}


def pick(names: str | None) -> list[DaySpec]:
    """Specs by comma-separated name (``None`` or ``all``: the whole suite)."""
    if not names or names == "all":
        return list(SUITE)
    out = []
    for name in (n.strip() for n in names.split(",") if n.strip()):
        if name not in BY_NAME:
            raise KeyError(f"no suite day {name!r}; the suite: {', '.join(BY_NAME)}")
        out.append(BY_NAME[name])
    return out
