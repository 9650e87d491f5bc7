"""Driving times on a road network read from a local OpenStreetMap file (osmnx).

Nothing is ever downloaded: the map is a ``.osm`` XML extract or a ``.graphml`` saved earlier,
and only osmnx's local readers are used. osmnx and networkx are imported on first use, so this
module costs nothing until a road map is actually needed.

How a matrix is made (docs/travel.md has the reasoning):

1. Read the file and keep only roads a car may use (osmnx's XML reader turns *every* way into
   edges — buildings, footpaths, rivers — and every node into a graph node).
2. Give each road a speed: its ``maxspeed`` tag, else a UK default for its type; then a time.
3. Route only on the largest strongly connected component, so that one-way streets and clipped
   map edges can never strand a place in a dead end it cannot leave.
4. Snap each place to the nearest node of that component that a car can stop at (not a
   motorway), and add the walk from the place to it at ``access_kmh``.
5. Run ONE single-source Dijkstra per distinct snapped node (not n² shortest-path queries).
6. Places more than ``max_snap_m`` from the network (off the edge of the extract, on an
   island) get the geodesic estimate for all their trips; the count is logged, never the places.
"""

from __future__ import annotations

import ast
import hashlib
import logging
import math
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from scheduler.domain.model import Location
from scheduler.domain.travel import Geodesic, great_circle_km, haversine_km, same_place

if TYPE_CHECKING:
    import networkx as nx

log = logging.getLogger(__name__)

#: km/h by highway type where a road has no usable ``maxspeed`` tag: UK national limits
#: (70 mph motorways, 60 mph single carriageways, 30 mph in built-up areas) shaded down to
#: what is typical for each class (an unsigned tertiary road is rarely driven at 60 mph).
UK_HWY_SPEEDS: dict[str, float] = {
    "motorway": 112,  # 70 mph
    "motorway_link": 80,  # 50 mph
    "trunk": 96,  # 60 mph
    "trunk_link": 64,  # 40 mph
    "primary": 80,  # 50 mph
    "primary_link": 48,  # 30 mph
    "secondary": 64,  # 40 mph
    "secondary_link": 48,
    "tertiary": 48,  # 30 mph
    "tertiary_link": 40,
    "unclassified": 32,  # 20 mph: narrow lanes, villages
    "residential": 32,
    "road": 32,  # type not yet known to mappers
    "living_street": 16,  # 10 mph: shared surfaces
    "service": 16,  # estate access roads, hospital and surgery sites
}

#: Highway types a car may drive on (osmnx's "drive_service" network, less parking aisles).
DRIVABLE = frozenset(UK_HWY_SPEEDS)
#: ``service=*`` values that are not through routes to anyone's door.
EXCLUDED_SERVICE = frozenset({"parking_aisle", "parking", "emergency_access", "private"})
#: Access values that bar a district nurse's car.
NO_ACCESS = frozenset({"no", "private", "agricultural", "forestry"})
#: OSM access tags from most to least specific: the first one present decides.
ACCESS_TAGS = ("motorcar", "motor_vehicle", "vehicle", "access")
#: A place is never reached from these: nobody lives on a motorway.
NOT_FROM_A_DOOR = frozenset({"motorway", "motorway_link"})
#: Speed for a highway type missing from the table (only with a custom table).
FALLBACK_KMH = 32.0
#: Bump whenever graph preparation changes the numbers, so old cache entries are not reused.
PREPARATION = "prep3"


def file_sha256(path: Path) -> str:
    """Content hash, read in 1 MiB blocks so a county extract does not need to fit in memory."""
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _values(raw: Any) -> list[str]:
    """An OSM tag value as a list of lower-case values: osmnx gives a string, a list (edges
    merged by simplification) or NaN, and OSM itself separates multiple values with ``;``."""
    if raw is None or (isinstance(raw, float) and math.isnan(raw)):
        return []
    if isinstance(raw, str) and raw.startswith("[") and raw.endswith("]"):
        with suppress(ValueError, SyntaxError):
            raw = ast.literal_eval(raw)
    items = raw if isinstance(raw, list | tuple | set) else [raw]
    return [part.strip().lower() for item in items for part in str(item).split(";") if part]


def is_drivable(data: Mapping[str, Any]) -> bool:
    """Whether an edge is a road that a nurse's car may use."""
    highway = _values(data.get("highway"))
    if not highway or any(h not in DRIVABLE for h in highway):
        return False
    if "yes" in _values(data.get("area")):
        return False
    if EXCLUDED_SERVICE.intersection(_values(data.get("service"))):
        return False
    for tag in ACCESS_TAGS:
        access = _values(data.get(tag))
        if access:
            return not NO_ACCESS.intersection(access)
    return True


@contextmanager
def _extra_way_tags(ox: Any) -> Iterator[None]:
    """Have osmnx keep the vehicle access tags it drops by default, restoring its settings."""
    saved = list(ox.settings.useful_tags_way)
    ox.settings.useful_tags_way = saved + [t for t in ACCESS_TAGS if t not in saved]
    try:
        yield
    finally:
        ox.settings.useful_tags_way = saved


@dataclass(frozen=True)
class Snap:
    """Where each place joins the road network: a node (None if too far) and the walk in."""

    nodes: tuple[Any, ...]
    access_min: np.ndarray


@dataclass(eq=False)
class RoadNetwork:
    """Shortest driving times on a local OpenStreetMap road network.

    ``access_kmh`` 15: the leg from a place to its road node is straight-line at a crawl,
    covering the drive along the last bit of street, a driveway and the walk. ``overhead_min``
    2: parking and getting to the door, as in ``Geodesic``, so switching models does not
    make every trip 2 minutes shorter. ``max_snap_m`` 1000: no home in Britain is a kilometre
    from a drivable road, so a place farther away is off the map and gets the geodesic
    estimate. ``fallback`` is that estimate.

    The counters describe the last ``minutes()`` call.
    """

    path: Path
    access_kmh: float = 15.0
    overhead_min: float = 2.0
    max_snap_m: float = 1000.0
    hwy_speeds: Mapping[str, float] = field(default_factory=lambda: dict(UK_HWY_SPEEDS))
    fallback: Geodesic = field(default_factory=Geodesic)
    fallback_pairs: int = field(default=0, init=False)
    unsnapped_places: int = field(default=0, init=False)
    dijkstra_calls: int = field(default=0, init=False)

    def __post_init__(self) -> None:
        self.path = Path(self.path)
        if not self.access_kmh > 0 or not self.max_snap_m >= 0 or not self.overhead_min >= 0:
            raise ValueError("access_kmh must be positive, max_snap_m and overhead_min ≥ 0")
        # Hashed now, not on first use: the name (and so the cache key) must exist before the
        # map is parsed, so that a cache hit never pays for parsing a county.
        self._sha256 = file_sha256(self.path)
        self._graph: nx.MultiDiGraph | None = None
        self._routing: nx.DiGraph | None = None
        self._candidates: list[Any] = []
        self._cand_lat = np.zeros(0)
        self._cand_lon = np.zeros(0)

    @property
    def name(self) -> str:
        speeds = ",".join(f"{k}={float(v)!r}" for k, v in sorted(self.hwy_speeds.items()))
        speeds_id = hashlib.sha256(speeds.encode()).hexdigest()[:12]
        return (
            f"roads(path={self.path.resolve()},sha256={self._sha256},"
            f"access_kmh={self.access_kmh!r},overhead_min={self.overhead_min!r},"
            f"max_snap_m={self.max_snap_m!r},speeds={speeds_id},{PREPARATION},"
            f"fallback={self.fallback.name})"
        )

    # -- the graph ----------------------------------------------------------------------------

    def graph(self) -> nx.MultiDiGraph:
        """The prepared drive graph (lat/lon, drivable edges only, ``travel_time`` in s)."""
        if self._graph is None:
            t0 = time.perf_counter()
            self._graph = self._prepare(self._read())
            log.info(
                "road network %s: %d nodes, %d edges, read in %.1f s",
                self.path.name,
                len(self._graph),
                self._graph.number_of_edges(),
                time.perf_counter() - t0,
            )
        return self._graph

    def _read(self) -> nx.MultiDiGraph:
        import osmnx as ox

        try:
            if self.path.suffix.lower() == ".graphml":
                return ox.load_graphml(self.path)
            # Unsimplified and whole: filtering must come before simplification, or a road
            # and the footpath it runs into would be merged into one edge.
            with _extra_way_tags(ox):
                return ox.graph_from_xml(self.path, simplify=False, retain_all=True)
        except Exception as exc:  # parser errors vary by format; the CLI needs a ValueError
            raise ValueError(f"road network {self.path.name} could not be read: {exc}") from exc

    def _prepare(self, G: nx.MultiDiGraph) -> nx.MultiDiGraph:
        import osmnx as ox

        crs = G.graph.get("crs")
        if crs is not None and ox.projection.is_projected(crs):
            G = ox.project_graph(G, to_latlong=True)
        barred = [(u, v, k) for u, v, k, d in G.edges(keys=True, data=True) if not is_drivable(d)]
        G.remove_edges_from(barred)
        # Lone nodes: shops, bus stops, and the corners of everything that was not a road.
        G.remove_nodes_from([node for node in G if not G.succ[node] and not G.pred[node]])
        if G.number_of_edges() == 0:
            raise ValueError(f"road network {self.path.name} has no drivable roads")
        if not self._has_travel_times(G):
            G = ox.add_edge_speeds(G, hwy_speeds=dict(self.hwy_speeds), fallback=FALLBACK_KMH)
            self._repair_speeds(G)
            G = ox.add_edge_travel_times(G)
        if not G.graph.get("simplified", False):
            # After the times, so that merged edges sum exact per-segment times.
            G = ox.simplify_graph(G)
        return G

    @staticmethod
    def _has_travel_times(G: nx.MultiDiGraph) -> bool:
        """A .graphml that already carries times (e.g. one saved from ``graph()``) is used as
        is, so a saved graph reproduces the map it came from exactly."""
        times = [t for _, _, t in G.edges(data="travel_time")]
        return all(isinstance(t, int | float) and math.isfinite(t) and t > 0 for t in times)

    def _repair_speeds(self, G: nx.MultiDiGraph) -> None:
        """Replace a speed that is zero, negative or unparsable (``maxspeed=0`` exists in the
        wild) by the type's default, since one such edge would make a route infinitely long."""
        for _, _, d in G.edges(data=True):
            kmh = d.get("speed_kph")
            if not (isinstance(kmh, int | float) and math.isfinite(kmh) and kmh > 0):
                highway = _values(d.get("highway"))
                d["speed_kph"] = float(
                    self.hwy_speeds.get(highway[0], FALLBACK_KMH) if highway else FALLBACK_KMH
                )

    def _routing_graph(self) -> nx.DiGraph:
        """The largest strongly connected component as a plain DiGraph (quickest parallel edge
        kept), and the nodes a place may snap to. Routing inside one strongly connected
        component guarantees every snapped place can reach every other and get back."""
        if self._routing is None:
            import networkx as nx

            G = self.graph()
            main = max(nx.strongly_connected_components(G), key=len)
            H = nx.DiGraph()
            H.add_nodes_from(main)
            for u, v, t in G.edges(data="travel_time"):
                if u in main and v in main and (not H.has_edge(u, v) or t < H[u][v]["travel_time"]):
                    H.add_edge(u, v, travel_time=float(t))
            door: set[Any] = set()
            for u, v, d in G.edges(data=True):
                if not NOT_FROM_A_DOOR.issuperset(_values(d.get("highway"))):
                    door.update((u, v))
            candidates = [node for node in H if node in door] or list(H)
            self._candidates = candidates
            self._cand_lat = np.radians([G.nodes[c]["y"] for c in candidates])
            self._cand_lon = np.radians([G.nodes[c]["x"] for c in candidates])
            self._routing = H
        return self._routing

    # -- snapping and routing -----------------------------------------------------------------

    def snap(self, locations: Sequence[Location]) -> Snap:
        """Nearest usable node per place, by plain numpy (osmnx's ``nearest_nodes`` needs
        scikit-learn for an unprojected graph; a brute-force scan of a county's nodes is
        ample for a day's places). Distances use a local flat-earth approximation to choose,
        then the exact great circle for the walk-in time and the ``max_snap_m`` test."""
        self._routing_graph()
        n = len(locations)
        lat = np.radians(np.fromiter((p.lat for p in locations), float, n))
        lon = np.radians(np.fromiter((p.lon for p in locations), float, n))
        best = np.zeros(n, dtype=np.intp)
        for s in range(0, n, 64):  # chunks keep the n × nodes temporaries small
            dy = self._cand_lat[None, :] - lat[s : s + 64, None]
            dx = (self._cand_lon[None, :] - lon[s : s + 64, None]) * np.cos(lat[s : s + 64, None])
            best[s : s + 64] = np.argmin(dx * dx + dy * dy, axis=1)
        km = haversine_km(lat, lon, self._cand_lat[best], self._cand_lon[best])
        near = km * 1000.0 <= self.max_snap_m
        nodes = tuple(self._candidates[b] if ok else None for b, ok in zip(best, near, strict=True))
        return Snap(nodes=nodes, access_min=np.where(near, km / self.access_kmh * 60.0, 0.0))

    def minutes(self, locations: Sequence[Location]) -> np.ndarray:
        """n×n float minutes: walk in + shortest drive + walk out + overhead; geodesic for
        places off the network; 0 on the diagonal and between entries at the same place."""
        n = len(locations)
        if n == 0:
            return np.zeros((0, 0))
        snap = self.snap(locations)
        on = np.array([i for i, node in enumerate(snap.nodes) if node is not None], dtype=np.intp)
        result = np.full((n, n), np.nan)
        if len(on):
            result[np.ix_(on, on)] = self._routed(
                [locations[i] for i in on], [snap.nodes[i] for i in on], snap.access_min[on]
            )
        same = same_place(locations)
        missing = np.isnan(result) & ~same
        self.fallback_pairs = int(missing.sum())
        self.unsnapped_places = n - len(on)
        if self.fallback_pairs:
            estimate = self.fallback.minutes(locations)
            result[missing] = estimate[missing]
            log.warning(
                "%d of %d trips have no road route in %s (%d places over %.0f m from its "
                "main road network); geodesic estimates used for them",
                self.fallback_pairs,
                n * (n - 1),
                self.path.name,
                self.unsnapped_places,
                self.max_snap_m,
            )
        result[same] = 0.0
        return result

    def _routed(
        self, places: Sequence[Location], nodes: Sequence[Any], access_min: np.ndarray
    ) -> np.ndarray:
        """Minutes between snapped places: one Dijkstra per distinct node, NaN if no route."""
        import networkx as nx

        H = self._routing_graph()
        distinct = list(dict.fromkeys(nodes))
        column = {node: k for k, node in enumerate(distinct)}
        seconds = np.full((len(distinct), len(distinct)), np.nan)
        t0 = time.perf_counter()
        self.dijkstra_calls = 0
        for k, origin in enumerate(distinct):
            reached = nx.single_source_dijkstra_path_length(H, origin, weight="travel_time")
            self.dijkstra_calls += 1
            seconds[k] = [reached.get(target, np.nan) for target in distinct]
        log.info(
            "%d Dijkstra searches for %d places in %.2f s",
            self.dijkstra_calls,
            len(places),
            time.perf_counter() - t0,
        )
        idx = np.array([column[node] for node in nodes], dtype=np.intp)
        drive = seconds[np.ix_(idx, idx)] / 60.0
        minutes = drive + access_min[:, None] + access_min[None, :]
        shared = idx[:, None] == idx[None, :]
        if shared.any():
            # Two doors on the same node: walking straight between them beats walking to the
            # node and back out.
            walk = great_circle_km(places) / self.access_kmh * 60.0
            minutes = np.where(shared, np.minimum(minutes, walk), minutes)
        return minutes + self.overhead_min
