"""Driving times on a road network read from a local OpenStreetMap file (osmnx).

Nothing is downloaded: the map is a ``.osm`` XML extract or a ``.graphml`` saved earlier.
Edges get UK default speeds where ``maxspeed`` is missing, every place is snapped to its
nearest road node (the walk from the point to the node at 15 km/h is added), and times come
from one Dijkstra per distinct origin node — n single-source searches, not n² shortest-path
calls. Pairs with no road path between them (islands in a clipped extract) fall back to the
geodesic estimate and are counted in ``fallback_pairs``.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from scheduler.model import Location
from scheduler.travel import Geodesic, great_circle_km

log = logging.getLogger(__name__)

#: km/h by highway type where a road has no maxspeed tag (UK national limits and typical
#: urban speeds: 70 mph motorways, 60 mph dual/single carriageways, 30 mph residential…).
UK_HWY_SPEEDS = {
    "motorway": 112,
    "motorway_link": 80,
    "trunk": 96,
    "trunk_link": 64,
    "primary": 80,
    "primary_link": 48,
    "secondary": 64,
    "secondary_link": 48,
    "tertiary": 48,
    "tertiary_link": 40,
    "residential": 32,
    "unclassified": 32,
    "living_street": 16,
    "service": 16,
    "road": 32,
}
ACCESS_KMH = 15.0


@dataclass
class RoadNetwork:
    path: Path
    fallback: Geodesic = field(default_factory=Geodesic)
    fallback_pairs: int = 0
    dijkstra_calls: int = 0

    def __post_init__(self) -> None:
        self.path = Path(self.path)
        self._digest = hashlib.sha256(self.path.read_bytes()).hexdigest()[:16]
        self._graph = None

    @property
    def name(self) -> str:
        return f"roads({self.path.resolve()},sha256={self._digest})"

    def graph(self):
        if self._graph is None:
            import osmnx as ox

            if self.path.suffix.lower() == ".graphml":
                G = ox.load_graphml(self.path)
            else:
                G = ox.graph_from_xml(self.path, simplify=True, retain_all=True)
            G = ox.add_edge_speeds(G, hwy_speeds=UK_HWY_SPEEDS, fallback=32)
            G = ox.add_edge_travel_times(G)
            self._graph = G
        return self._graph

    def _snap(self, locations: Sequence[Location]) -> tuple[list, np.ndarray]:
        """Nearest node per place (plain numpy, no spatial index needed at this size) and the
        walk-in minutes from each place to its node."""
        G = self.graph()
        nodes = list(G.nodes)
        lat = np.array([G.nodes[n]["y"] for n in nodes])
        lon = np.array([G.nodes[n]["x"] for n in nodes])
        chosen, access = [], np.zeros(len(locations))
        kx = np.cos(np.radians(lat.mean())) if len(lat) else 1.0
        for i, p in enumerate(locations):
            d2 = (lat - p.lat) ** 2 + ((lon - p.lon) * kx) ** 2
            j = int(np.argmin(d2))
            chosen.append(nodes[j])
            km = great_circle_km([p, Location(float(lat[j]), float(lon[j]))])[0, 1]
            access[i] = km / ACCESS_KMH * 60.0
        return chosen, access

    def minutes(self, locations: Sequence[Location]) -> np.ndarray:
        import networkx as nx

        G = self.graph()
        snapped, access = self._snap(locations)
        n = len(locations)
        result = np.zeros((n, n))
        by_node: dict = {}
        for i, node in enumerate(snapped):
            by_node.setdefault(node, []).append(i)
        estimate = None
        self.fallback_pairs = 0
        for origin, rows in by_node.items():
            self.dijkstra_calls += 1
            seconds = nx.single_source_dijkstra_path_length(G, origin, weight="travel_time")
            for j, target in enumerate(snapped):
                for i in rows:
                    if i == j:
                        continue
                    t = seconds.get(target)
                    if t is None:
                        if estimate is None:
                            estimate = self.fallback.minutes(locations)
                        result[i, j] = estimate[i, j]
                        self.fallback_pairs += 1
                    else:
                        result[i, j] = t / 60.0 + access[i] + access[j]
        if self.fallback_pairs:
            log.warning(
                "%d place pairs have no road path in %s; geodesic estimates used",
                self.fallback_pairs,
                self.path.name,
            )
        return result
