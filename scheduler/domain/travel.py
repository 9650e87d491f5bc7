"""Driving times between places: a data-free default and a road-network model, cached on disk.

``Geodesic`` needs nothing but coordinates: great-circle distance × a circuity factor (roads
are longer than the straight line), driven at speeds that rise with trip length, plus a fixed
couple of minutes to park and get to the door. ``RoadNetwork`` (in ``scheduler.domain.travel_osm``,
imported lazily because osmnx is an optional extra and slow to import) routes on a local
OpenStreetMap file. Both produce float minutes; ``travel_matrix`` rounds them to the whole
minutes that the solver and the checker share, and caches the result on disk keyed by the
model's name and the places, so a day re-solved with the same places never recomputes.

See docs/travel.md for the reasoning behind every default.
"""

from __future__ import annotations

import hashlib
import itertools
import logging
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol

import numpy as np

from scheduler.domain.model import Location, TravelMatrix

if TYPE_CHECKING:
    from scheduler.domain.travel_osm import RoadNetwork

__all__ = [
    "NO_CACHE",
    "Geodesic",
    "RoadNetwork",
    "TravelModel",
    "default_cache_dir",
    "great_circle_km",
    "haversine_km",
    "model_from_options",
    "round_minutes",
    "same_place",
    "travel_matrix",
]

log = logging.getLogger(__name__)

#: geopy's mean Earth radius (km), so that our vectorised distance agrees with
#: ``geopy.distance.great_circle`` (haversine and geopy's atan2 form are the same formula).
EARTH_RADIUS_KM = 6371.009

#: Pass as ``cache_dir`` to compute without reading or writing the disk cache.
NO_CACHE: Literal[False] = False

#: Part of every cache key: bump it when the rounding rules below change, so that matrices
#: rounded the old way are never served again.
CACHE_FORMAT = "hah-travel-v2"

#: Extensions that ``--roads`` accepts (all read by osmnx from the local file only).
ROAD_SUFFIXES = (".osm", ".xml", ".graphml")


class TravelModel(Protocol):
    """Anything that can turn places into a matrix of driving minutes.

    ``name`` must change whenever anything that changes the numbers changes (parameters, map
    file contents): it is the model's part of the cache key and is recorded in the matrix.
    """

    @property
    def name(self) -> str: ...

    def minutes(self, locations: Sequence[Location]) -> np.ndarray:
        """An n×n float array of driving minutes, 0 on the diagonal."""
        ...


def _lat_lon_radians(locations: Sequence[Location]) -> tuple[np.ndarray, np.ndarray]:
    lat = np.radians(np.fromiter((p.lat for p in locations), float, len(locations)))
    lon = np.radians(np.fromiter((p.lon for p in locations), float, len(locations)))
    return lat, lon


def haversine_km(
    lat1: np.ndarray, lon1: np.ndarray, lat2: np.ndarray, lon2: np.ndarray
) -> np.ndarray:
    """Great-circle km between points given in *radians*; broadcasts like any numpy ufunc.

    The haversine form stays accurate for the short distances that matter here (next-door
    patients), where the spherical law of cosines loses precision.
    """
    a = (
        np.sin((lat2 - lat1) / 2) ** 2
        + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


def great_circle_km(locations: Sequence[Location]) -> np.ndarray:
    """Pairwise great-circle distances in km, as one vectorised n×n computation.

    Broadcasting a column against a row keeps the trigonometry on the n coordinates and only
    the cheap arithmetic on the n² pairs, which is what makes 1,300 places take milliseconds.
    """
    lat, lon = _lat_lon_radians(locations)
    return haversine_km(lat[:, None], lon[:, None], lat[None, :], lon[None, :])


def same_place(locations: Sequence[Location]) -> np.ndarray:
    """n×n booleans: True where two entries are the same place (equal to 6 decimals, ~0.1 m).

    This is the rule ``scheduler.domain.problem`` merges places by, so "distinct places" means the
    same thing when minutes are rounded as when the day was assembled.
    """
    keys = np.array([(round(p.lat, 6), round(p.lon, 6)) for p in locations], dtype=float)
    keys = keys.reshape(len(locations), 2)
    return (keys[:, None, 0] == keys[None, :, 0]) & (keys[:, None, 1] == keys[None, :, 1])


@dataclass(frozen=True)
class Geodesic:
    """Great-circle distance × circuity, driven at banded speeds, plus a parking overhead.

    The bands are cumulative, like a tax table: with the defaults the first 2 road-km are
    driven at 20 km/h (town streets, junctions, school runs), the next 8 km at 35 km/h
    (B-roads through villages), the next 20 km at 50 km/h (A-roads), anything further at
    65 km/h (dual carriageways, motorways). Time is therefore continuous and strictly
    increasing in distance, so a farther patient is never quicker to reach; a single average
    speed would make short town hops far too quick and long trips far too slow.

    ``circuity`` 1.3: road distance over straight-line distance is about 1.2 in towns and
    1.3–1.4 on rural lanes in the UK (published detour indices for Britain are mostly
    1.2–1.4), and Hertfordshire mixes both. ``overhead_min`` 2: finding a space, parking and
    walking to the door, for any trip between two different places.
    """

    circuity: float = 1.3
    band_km: tuple[float, ...] = (2.0, 10.0, 30.0)
    band_kmh: tuple[float, ...] = (20.0, 35.0, 50.0, 65.0)
    overhead_min: float = 2.0

    def __post_init__(self) -> None:
        # Coerce lists to tuples so the model stays hashable and its name stays canonical.
        object.__setattr__(self, "band_km", tuple(float(b) for b in self.band_km))
        object.__setattr__(self, "band_kmh", tuple(float(s) for s in self.band_kmh))
        if not self.circuity >= 1.0:
            raise ValueError(f"circuity {self.circuity}: roads are never shorter than 1×")
        if len(self.band_kmh) != len(self.band_km) + 1:
            raise ValueError("one speed per distance band, plus one beyond the last limit")
        limits = (0.0, *self.band_km)
        if any(b <= a for a, b in itertools.pairwise(limits)):
            raise ValueError(f"band limits {self.band_km} must be positive and increasing")
        if any(not s > 0 for s in self.band_kmh):
            raise ValueError(f"band speeds {self.band_kmh} must be positive")
        if not self.overhead_min >= 0:
            raise ValueError("the parking overhead cannot be negative")

    @property
    def name(self) -> str:
        """Every field, so a changed parameter is a different cache entry."""
        return (
            f"geodesic(circuity={self.circuity!r},band_km={self.band_km!r},"
            f"band_kmh={self.band_kmh!r},overhead_min={self.overhead_min!r})"
        )

    def road_minutes(self, road_km: np.ndarray) -> np.ndarray:
        """Minutes to drive ``road_km`` (any shape), band by band, without the overhead."""
        road_km = np.asarray(road_km, dtype=float)
        minutes = np.zeros_like(road_km)
        lower = 0.0
        for upper, kmh in zip((*self.band_km, np.inf), self.band_kmh, strict=True):
            minutes += np.clip(road_km - lower, 0.0, upper - lower) * (60.0 / kmh)
            lower = upper
        return minutes

    def minutes(self, locations: Sequence[Location]) -> np.ndarray:
        """n×n float minutes; 0 on the diagonal and between entries at the same place."""
        result = self.road_minutes(great_circle_km(locations) * self.circuity)
        result += self.overhead_min
        result[same_place(locations)] = 0.0
        return result


def default_cache_dir() -> Path:
    """``$HAH_CACHE_DIR`` if set, else ``~/.cache/hah/travel``."""
    env = os.environ.get("HAH_CACHE_DIR")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "hah" / "travel"


def cache_key(model_name: str, locations: Sequence[Location]) -> str:
    """SHA-256 of the cache format, the model's name and the places in order (6 dp)."""
    h = hashlib.sha256(f"{CACHE_FORMAT}\n{model_name}\n".encode())
    for p in locations:
        h.update(f"{p.lat:.6f},{p.lon:.6f};".encode())
    return h.hexdigest()


def round_minutes(minutes: np.ndarray, same: np.ndarray) -> np.ndarray:
    """Whole minutes, half up; 0 for the same place (and the diagonal), ≥ 1 otherwise.

    The floor of one minute keeps two different doors from being treated as free to move
    between, which would let the solver chain any number of visits at no cost.
    """
    whole = np.floor(minutes + 0.5).astype(np.int32)
    whole = np.maximum(whole, 1)
    whole[same] = 0
    np.fill_diagonal(whole, 0)
    return whole


def _checked(model: TravelModel, raw: Any, n: int) -> np.ndarray:
    """The model's output as floats, refusing what would silently corrupt a rota."""
    minutes = np.asarray(raw, dtype=float)
    if minutes.shape != (n, n):
        raise ValueError(f"travel model {model.name} returned {minutes.shape}, expected {(n, n)}")
    if not np.isfinite(minutes).all():
        raise ValueError(f"travel model {model.name} returned non-finite minutes")
    if (minutes < 0).any():
        raise ValueError(f"travel model {model.name} returned negative minutes")
    if n and minutes.max() >= np.iinfo(np.int32).max:
        raise ValueError(f"travel model {model.name} returned implausibly long trips")
    return minutes


def _read_cache(path: Path, n: int) -> np.ndarray | None:
    """A cached matrix, or None if it is missing, unreadable or not a valid n×n matrix."""
    try:
        cached = np.load(path, allow_pickle=False)
    except FileNotFoundError:
        return None
    except Exception as exc:  # any damage at all means "recompute", never "crash"
        log.warning("ignoring unreadable travel cache file %s (%s)", path.name, type(exc).__name__)
        return None
    if (
        not isinstance(cached, np.ndarray)
        or cached.dtype != np.int32
        or cached.shape != (n, n)
        or (cached < 0).any()
        or (np.diagonal(cached) != 0).any()
    ):
        log.warning("ignoring travel cache file %s: not a valid %d×%d matrix", path.name, n, n)
        return None
    return cached


def _write_cache(path: Path, minutes: np.ndarray) -> None:
    """Write atomically (temp file in the same folder, then rename), so that a reader never
    sees half a file and concurrent solves never clobber each other mid-write."""
    tmp: Path | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem[:12]}.", suffix=".tmp")
        tmp = Path(name)
        with os.fdopen(fd, "wb") as f:
            np.save(f, minutes, allow_pickle=False)
        os.replace(tmp, path)
        tmp = None
    except OSError as exc:
        # A cache is an optimisation: a read-only home or a full disk must not stop a solve.
        log.warning("could not write travel cache in %s (%s)", path.parent, exc.strerror or exc)
    finally:
        if tmp is not None:
            tmp.unlink(missing_ok=True)


def travel_matrix(
    locations: Sequence[Location],
    model: TravelModel | None = None,
    *,
    cache_dir: Path | str | bool | None = None,
) -> TravelMatrix:
    """Whole-minute travel between ``locations`` (in order) under ``model`` (default Geodesic).

    ``cache_dir``: None or True → ``default_cache_dir()``; a path → that folder;
    ``NO_CACHE`` (False) → neither read nor write the cache. A cache file that is damaged or of
    the wrong shape is ignored and rewritten.
    """
    if model is None:
        model = Geodesic()
    locations = tuple(locations)
    n = len(locations)
    path: Path | None = None
    if cache_dir is not False and n > 0:
        folder = default_cache_dir() if cache_dir is None or cache_dir is True else Path(cache_dir)
        path = folder / f"{cache_key(model.name, locations)}.npy"
        cached = _read_cache(path, n)
        if cached is not None:
            log.debug("travel matrix for %d places served from cache", n)
            return TravelMatrix(locations, cached, model.name)
    minutes = round_minutes(_checked(model, model.minutes(locations), n), same_place(locations))
    if path is not None:
        _write_cache(path, minutes)
    return TravelMatrix(locations, minutes, model.name)


def model_from_options(roads: str | None) -> TravelModel:
    """The model for the CLI's ``--roads FILE``: a .osm/.xml or .graphml road network, or the
    geodesic default when no file is given. Fails early, with a reason, on a bad path."""
    if roads is None:
        return Geodesic()
    path = Path(roads).expanduser()
    if not path.exists():
        raise ValueError(f"road network file {roads} does not exist")
    if not path.is_file():
        raise ValueError(f"road network {roads} is not a file")
    suffix = path.suffix.lower()
    if suffix not in ROAD_SUFFIXES:
        hint = (
            " (convert a .pbf extract first, e.g. `osmium cat in.osm.pbf -o out.osm`)"
            if suffix == ".pbf"
            else ""
        )
        raise ValueError(f"road network {roads}: expected a .osm, .xml or .graphml file{hint}")
    from scheduler.domain.travel_osm import RoadNetwork

    return RoadNetwork(path)


def __getattr__(name: str) -> Any:
    """``from scheduler.domain.travel import RoadNetwork`` without importing it (and osmnx's
    dependencies) for every user of the geodesic default."""
    if name == "RoadNetwork":
        from scheduler.domain.travel_osm import RoadNetwork

        return RoadNetwork
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
