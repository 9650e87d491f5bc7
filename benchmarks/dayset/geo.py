"""Where patients live and clinicians start: real postcode-district centroids, invented homes.

Districts come from ``/work/shared/geo`` (UK outward-code centroids, CC0; the repo's
``../shared/geo``). A district with at least two other centroids within ``DENSE_KM`` is
*urban* (Watford, St Albans, Stevenage…), the rest are *market towns*. Patients are drawn
around them: urban ones tightly (σ ``URBAN_KM``), town ones looser (σ ``TOWN_KM``), rural ones
anywhere on a ring 2 km to ``rural_km`` from any district of the area (lanes and villages
between towns). Each point is a random place, not an address.
"""

from __future__ import annotations

import csv
import math
import random
from dataclasses import dataclass
from pathlib import Path

GEO_DIR = Path(__file__).resolve().parents[3] / "shared" / "geo"
CENTROIDS = "uk_outcode_centroids_gibbs.csv"
DENSE_KM, URBAN_KM, TOWN_KM = 4.0, 0.9, 1.6
KM_PER_DEG_LAT = 111.2


@dataclass(frozen=True)
class District:
    code: str
    lat: float
    lon: float
    urban: bool = False


@dataclass(frozen=True)
class Place:
    lat: float
    lon: float
    setting: str  # urban, town or rural
    district: str
    km_from_centroid: float


def km_between(a_lat: float, a_lon: float, b_lat: float, b_lon: float) -> float:
    """Equirectangular distance: plenty for a county."""
    dy = (a_lat - b_lat) * KM_PER_DEG_LAT
    dx = (a_lon - b_lon) * KM_PER_DEG_LAT * math.cos(math.radians((a_lat + b_lat) / 2))
    return math.hypot(dx, dy)


def _matches(code: str, prefix: str) -> bool:
    """``AL`` takes AL1…AL10 (not ALx letters), ``CM23`` takes CM23 only."""
    if not code.startswith(prefix):
        return False
    rest = code[len(prefix) :]
    return rest == "" or (prefix[-1].isalpha() and rest.isdigit())


def districts(area: tuple[str, ...], geo_dir: Path = GEO_DIR) -> list[District]:
    """The area's districts, sorted by code, each marked urban or not."""
    found: list[tuple[str, float, float]] = []
    with (geo_dir / CENTROIDS).open(newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            code = row["postcode"].strip()
            wanted = any(_matches(code, p) for p in area) or row["region"].strip() in area
            if wanted and row["latitude"] and row["longitude"]:
                found.append((code, float(row["latitude"]), float(row["longitude"])))
    if not found:
        raise ValueError(f"no postcode district in {geo_dir / CENTROIDS} matches {area}")
    found.sort()
    out = []
    for code, lat, lon in found:
        near = sum(
            1 for c, a, b in found if c != code and km_between(lat, lon, a, b) <= DENSE_KM
        )
        out.append(District(code, lat, lon, urban=near >= 2))
    return out


def _offset(lat: float, lon: float, north_km: float, east_km: float) -> tuple[float, float]:
    dlat = north_km / KM_PER_DEG_LAT
    dlon = east_km / (KM_PER_DEG_LAT * math.cos(math.radians(lat)))
    return round(lat + dlat, 6), round(lon + dlon, 6)


class Geography:
    """Draws places for one spec: ``shares`` = (urban, town, rural) weights."""

    def __init__(self, area_districts: list[District], shares: tuple[float, float, float],
                 rural_km: float):  # fmt: skip
        self.all = area_districts
        self.urban = [d for d in area_districts if d.urban] or area_districts
        self.town = [d for d in area_districts if not d.urban] or area_districts
        self.shares = shares
        self.rural_km = max(2.5, rural_km)

    def place(self, rng: random.Random, setting: str | None = None) -> Place:
        if setting is None:
            setting = rng.choices(("urban", "town", "rural"), weights=self.shares)[0]
        if setting == "rural":
            d = rng.choice(self.all)
            r = rng.uniform(2.0, self.rural_km)
            angle = rng.uniform(0, 2 * math.pi)
            north, east = r * math.sin(angle), r * math.cos(angle)
        else:
            d = rng.choice(self.urban if setting == "urban" else self.town)
            sigma = URBAN_KM if setting == "urban" else TOWN_KM
            north, east = rng.gauss(0, sigma), rng.gauss(0, sigma)
        lat, lon = _offset(d.lat, d.lon, north, east)
        return Place(lat, lon, setting, d.code, round(km_between(lat, lon, d.lat, d.lon), 3))

    def bases(self, n: int) -> list[District]:
        """``n`` bases spread out, in towns: the urban district nearest the area's middle, then
        each next the urban district farthest from those chosen (bases cover the area)."""
        towns = self.urban
        mid_lat = sum(d.lat for d in self.all) / len(self.all)
        mid_lon = sum(d.lon for d in self.all) / len(self.all)
        chosen = [min(towns, key=lambda d: km_between(d.lat, d.lon, mid_lat, mid_lon))]
        while len(chosen) < min(n, len(towns)):
            chosen.append(
                max(
                    (d for d in towns if d not in chosen),
                    key=lambda d: min(km_between(d.lat, d.lon, c.lat, c.lon) for c in chosen),
                )
            )
        return chosen
