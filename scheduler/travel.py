"""Driving times between places: a data-free default and a road-network model, cached on disk.

``Geodesic`` needs nothing but coordinates: great-circle distance × a circuity factor (roads
are longer than the straight line; UK detour indices are about 1.2–1.4, higher on rural
lanes, so 1.3), driven at speeds that rise with trip length (town streets for the first
kilometres, then B-roads, A-roads, dual carriageways), plus a fixed couple of minutes to park
and get to the door. ``RoadNetwork`` (``scheduler.travel_osm``) uses a local OpenStreetMap
file through osmnx. Both produce float minutes; ``travel_matrix`` rounds them to the whole
minutes the solver and checker share, and caches the result keyed by the model and the places.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from scheduler.model import Location, TravelMatrix

EARTH_RADIUS_KM = 6371.009  # geopy's mean radius, so great_circle agrees with ours


class TravelModel(Protocol):
    """Anything that can turn places into a matrix of driving minutes."""

    @property
    def name(self) -> str: ...

    def minutes(self, locations: Sequence[Location]) -> np.ndarray: ...


def great_circle_km(locations: Sequence[Location]) -> np.ndarray:
    """Pairwise great-circle distances (haversine on geopy's mean Earth radius)."""
    lat = np.radians([p.lat for p in locations])
    lon = np.radians([p.lon for p in locations])
    dlat = lat[:, None] - lat[None, :]
    dlon = lon[:, None] - lon[None, :]
    a = np.sin(dlat / 2) ** 2 + np.cos(lat)[:, None] * np.cos(lat)[None, :] * np.sin(dlon / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


@dataclass(frozen=True)
class Geodesic:
    """Great-circle × circuity, driven at banded speeds, plus a parking overhead.

    Bands are cumulative: the first 2 road-km at 20 km/h (town streets, junctions), the next
    8 km at 35 km/h, the next 20 km at 50 km/h, anything further at 65 km/h. Time is therefore
    continuous and increasing in distance.
    """

    circuity: float = 1.3
    band_km: tuple[float, ...] = (2.0, 10.0, 30.0)
    band_kmh: tuple[float, ...] = (20.0, 35.0, 50.0, 65.0)
    overhead_min: float = 2.0

    @property
    def name(self) -> str:
        return (
            f"geodesic(circuity={self.circuity},bands={self.band_km},"
            f"kmh={self.band_kmh},overhead={self.overhead_min})"
        )

    def road_minutes(self, road_km: np.ndarray) -> np.ndarray:
        minutes = np.zeros_like(road_km, dtype=float)
        lower = 0.0
        for upper, kmh in zip((*self.band_km, np.inf), self.band_kmh, strict=True):
            part = np.clip(road_km - lower, 0.0, upper - lower)
            minutes += part / kmh * 60.0
            lower = upper
        return minutes

    def minutes(self, locations: Sequence[Location]) -> np.ndarray:
        km = great_circle_km(locations) * self.circuity
        result = self.road_minutes(km) + self.overhead_min
        np.fill_diagonal(result, 0.0)
        result[km == 0] = 0.0
        return result


def _cache_key(model: TravelModel, locations: Sequence[Location]) -> str:
    h = hashlib.sha256(model.name.encode())
    for p in locations:
        h.update(f"{p.lat:.6f},{p.lon:.6f};".encode())
    return h.hexdigest()


def default_cache_dir() -> Path:
    return Path(os.environ.get("HAH_CACHE_DIR", Path.home() / ".cache" / "hah" / "travel"))


def round_minutes(minutes: np.ndarray) -> np.ndarray:
    """Whole minutes, half up; at least one minute between distinct places."""
    whole = np.floor(np.asarray(minutes, dtype=float) + 0.5).astype(np.int32)
    off_diagonal = ~np.eye(len(whole), dtype=bool)
    whole[off_diagonal & (whole < 1) & (np.asarray(minutes) > 0)] = 1
    np.fill_diagonal(whole, 0)
    return whole


def travel_matrix(
    locations: Sequence[Location],
    model: TravelModel | None = None,
    *,
    cache_dir: Path | str | bool | None = None,
) -> TravelMatrix:
    """The whole-minute matrix for ``locations``; ``cache_dir=False`` disables the cache."""
    model = model or Geodesic()
    locations = tuple(locations)
    n = len(locations)
    path = None
    if cache_dir is not False and n > 0:
        folder = default_cache_dir() if cache_dir in (None, True) else Path(cache_dir)
        path = folder / f"{_cache_key(model, locations)}.npy"
        try:
            cached = np.load(path)
            if cached.shape == (n, n) and cached.dtype == np.int32:
                return TravelMatrix(locations, cached, model.name)
        except (OSError, ValueError, EOFError):
            pass
    minutes = round_minutes(model.minutes(locations)) if n else np.zeros((0, 0), np.int32)
    if path is not None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(dir=path.parent, suffix=".tmp", delete=False) as f:
                np.save(f, minutes)
            os.replace(f.name, path)
        except OSError:
            pass  # a cache is an optimisation; a read-only home must not stop a solve
    return TravelMatrix(locations, minutes, model.name)


def model_from_options(roads: str | None) -> TravelModel:
    """``--roads FILE``: a .osm/.xml or .graphml road network; none: the geodesic default."""
    if roads is None:
        return Geodesic()
    path = Path(roads)
    if not path.exists():
        raise ValueError(f"road network file {roads} does not exist")
    if path.suffix.lower() not in (".osm", ".xml", ".graphml"):
        raise ValueError(f"road network {roads}: expected a .osm, .xml or .graphml file")
    from scheduler.travel_osm import RoadNetwork

    return RoadNetwork(path)
