"""``DaySpec``: every axis a generated day varies along, with the seed that fixes the rest."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Literal

#: Regimens a patient's main treatment is drawn from (``care.py`` says what each makes).
REGIMENS = ("iv_q6h", "iv_q8h", "iv_q12h", "iv_q24h", "fluids", "obs", "bloods", "review",
            "insulin")  # fmt: skip
#: Shift patterns (``rota.py`` gives their hours).
PATTERNS = ("early", "late", "long_day", "night")
BaseLayout = Literal["hub", "bases", "home"]


def _default_mix() -> dict[str, float]:
    return {"iv_q6h": 0.06, "iv_q8h": 0.16, "iv_q12h": 0.12, "iv_q24h": 0.12, "fluids": 0.08,
            "obs": 0.16, "bloods": 0.12, "review": 0.1, "insulin": 0.08}  # fmt: skip


def _default_shifts() -> dict[str, float]:
    return {"early": 0.4, "late": 0.3, "long_day": 0.2, "night": 0.1}


@dataclass(frozen=True)
class DaySpec:
    """One service day to generate. Shares are of the day's visits unless said otherwise.

    - ``staffing``: paid clinician minutes over the day's need (``staffing_figures``);
    - ``dawn_rush``: share of timed doses (IV, insulin) whose first dose falls 06:00–08:00;
    - ``double_handed`` / ``gap_linked`` / ``pinned`` / ``preferred``: share of visits that are
      two-staff, follow another visit by a minimum gap, are locked to a clinician, name a
      preferred clinician;
    - ``geography``: shares of patients in an urban cluster, in market towns, scattered rurally
      (radius up to ``rural_km`` around a district centroid), around the districts of ``area``
      (postcode-district prefixes: ``AL`` is AL1…AL10, ``CM23`` only CM23; or a region of the
      centroid file, e.g. ``Hertfordshire``: its 48 districts);
    - ``base_layout``: one hub, ``n_bases`` bases, or every clinician starting from home;
    - ``shift_mix``: weights of the shift patterns; ``max_visits_share``: share of shifts
      with a visit cap.
    """

    name: str
    seed: int
    n_visits: int
    staffing: float = 1.0
    regimen_mix: dict[str, float] = field(default_factory=_default_mix)
    dawn_rush: float = 0.25
    double_handed: float = 0.04
    gap_linked: float = 0.05
    pinned: float = 0.02
    preferred: float = 0.15
    geography: tuple[float, float, float] = (0.5, 0.35, 0.15)
    rural_km: float = 8.0
    area: tuple[str, ...] = ("Hertfordshire",)
    base_layout: BaseLayout = "bases"
    n_bases: int = 4
    shift_mix: dict[str, float] = field(default_factory=_default_shifts)
    max_visits_share: float = 0.1
    day: str = "2026-03-10"
    note: str = ""

    def __post_init__(self) -> None:
        if not 10 <= self.n_visits <= 5000:
            raise ValueError(f"n_visits {self.n_visits}: 10 to 5,000")
        if not 0.3 <= self.staffing <= 3.0:
            raise ValueError(f"staffing {self.staffing}: 0.3 to 3")
        for name in ("dawn_rush", "double_handed", "gap_linked", "pinned", "preferred",
                     "max_visits_share"):  # fmt: skip
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"{name} is a share (0 to 1)")
        if set(self.regimen_mix) - set(REGIMENS) or not any(self.regimen_mix.values()):
            raise ValueError(f"regimen_mix: weights of {REGIMENS}")
        if set(self.shift_mix) - set(PATTERNS) or not any(self.shift_mix.values()):
            raise ValueError(f"shift_mix: weights of {PATTERNS}")
        if len(self.geography) != 3 or min(self.geography) < 0 or not sum(self.geography):
            raise ValueError("geography: urban, town, rural weights")
        if self.base_layout not in ("hub", "bases", "home"):
            raise ValueError(f"base_layout {self.base_layout!r}: hub, bases or home")

    def to_json(self) -> dict:
        return asdict(self)
