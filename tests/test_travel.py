"""Travel models: the geodesic default, the disk cache, and the road network on a tiny map."""

from __future__ import annotations

import numpy as np
import pytest
from geopy.distance import great_circle

from scheduler.model import Location
from scheduler.travel import Geodesic, great_circle_km, model_from_options, travel_matrix

TOWNS = [
    Location(51.90, -0.20),
    Location(51.66, -0.40),
    Location(51.75, -0.34),
    Location(51.80, -0.08),
]


def test_great_circle_matches_geopy():
    """Our vectorised distance agrees with geopy's great_circle within 0.1 %."""
    km = great_circle_km(TOWNS)
    for i, a in enumerate(TOWNS):
        for j, b in enumerate(TOWNS):
            if i != j:
                ref = great_circle((a.lat, a.lon), (b.lat, b.lon)).km
                assert km[i, j] == pytest.approx(ref, rel=1e-3)


def test_geodesic_times_are_plausible_symmetric_and_monotone():
    """Zero diagonal, symmetric, Stevenage→Watford 35–60 min, longer trips take longer."""
    m = Geodesic().minutes(TOWNS)
    assert (np.diag(m) == 0).all() and np.allclose(m, m.T)
    assert 35 <= m[0, 1] <= 60
    d = np.linspace(0, 60, 601)
    t = Geodesic().road_minutes(d)
    assert (np.diff(t) > 0).all()


@pytest.mark.parametrize("boundary", [2.0, 10.0, 30.0])
def test_speed_bands_join_without_a_jump(boundary):
    """Time is continuous where one speed band hands over to the next."""
    g = Geodesic()
    below, above = g.road_minutes(np.array([boundary - 1e-6, boundary + 1e-6]))
    assert abs(above - below) < 0.1


class Counting:
    """A model wrapper that counts how often it is asked."""

    def __init__(self, inner, tag=""):
        self.inner, self.calls, self.tag = inner, 0, tag

    @property
    def name(self):
        return self.inner.name + self.tag

    def minutes(self, locations):
        self.calls += 1
        return self.inner.minutes(locations)


def test_matrix_is_whole_minutes_and_cached(tmp_path):
    """Integers, ≥1 between distinct places; a second request is served from disk."""
    model = Counting(Geodesic())
    first = travel_matrix(TOWNS, model, cache_dir=tmp_path)
    again = travel_matrix(TOWNS, model, cache_dir=tmp_path)
    assert model.calls == 1
    assert first.minutes.dtype == np.int32
    assert (first.minutes == again.minutes).all()
    off = first.minutes[~np.eye(len(TOWNS), dtype=bool)]
    assert (off >= 1).all()
    other = Counting(Geodesic(), tag="-other")
    travel_matrix(TOWNS, other, cache_dir=tmp_path)
    assert other.calls == 1 and len(list(tmp_path.glob("*.npy"))) == 2


def test_corrupt_cache_is_recomputed(tmp_path):
    """A damaged cache file is ignored and rewritten, never trusted."""
    model = Counting(Geodesic())
    travel_matrix(TOWNS, model, cache_dir=tmp_path)
    (cached,) = tmp_path.glob("*.npy")
    cached.write_bytes(b"not numpy")
    m = travel_matrix(TOWNS, model, cache_dir=tmp_path)
    assert model.calls == 2 and m.minutes.shape == (4, 4)


def test_unknown_road_file_is_refused(tmp_path):
    """--roads must name an existing .osm/.xml/.graphml file."""
    with pytest.raises(ValueError, match="does not exist"):
        model_from_options(str(tmp_path / "missing.osm"))
    bad = tmp_path / "map.pbf"
    bad.write_text("x")
    with pytest.raises(ValueError, match="expected"):
        model_from_options(str(bad))


def write_osm(path):
    """A tiny synthetic town: a 4×4 residential grid, a faster primary road along the bottom
    edge, a one-way street, and a disconnected island way."""
    nodes, ways = [], []
    lat0, lon0, step = 51.80, -0.20, 0.003

    def nid(i, j):
        return 1 + i * 4 + j

    for i in range(4):
        for j in range(4):
            nodes.append((nid(i, j), lat0 + i * step, lon0 + j * step * 1.6))
    for i in range(1, 4):  # residential rows (row 0 is the primary road)
        ways.append((100 + i, [nid(i, j) for j in range(4)], {"highway": "residential"}))
    ways.append((200, [nid(0, j) for j in range(4)], {"highway": "primary", "maxspeed": "40 mph"}))
    for j in range(4):  # columns; column 3 is one-way northbound
        tags = {"highway": "residential"}
        if j == 3:
            tags["oneway"] = "yes"
        ways.append((300 + j, [nid(i, j) for i in range(4)], tags))
    nodes += [(90, 51.90, -0.10), (91, 51.901, -0.10)]
    ways.append((400, [90, 91], {"highway": "residential"}))
    xml = ['<?xml version="1.0" encoding="UTF-8"?>', '<osm version="0.6" generator="test">']
    for n, lat, lon in nodes:
        xml.append(f'<node id="{n}" lat="{lat}" lon="{lon}" version="1"/>')
    for w, refs, tags in ways:
        xml.append(f'<way id="{w}" version="1">')
        xml += [f'<nd ref="{r}"/>' for r in refs]
        xml += [f'<tag k="{k}" v="{v}"/>' for k, v in tags.items()]
        xml.append("</way>")
    xml.append("</osm>")
    path.write_text("\n".join(xml))
    return lambda i, j: Location(lat0 + i * step, lon0 + j * step * 1.6)


def test_road_network_on_a_small_map(tmp_path, monkeypatch):
    """One-way streets make times asymmetric, the primary road is faster, an island falls
    back to the geodesic estimate, and there is one Dijkstra per distinct origin node."""
    import networkx as nx

    at = write_osm(tmp_path / "town.osm")
    model = model_from_options(str(tmp_path / "town.osm"))
    calls = []
    real = nx.single_source_dijkstra_path_length
    monkeypatch.setattr(
        nx,
        "single_source_dijkstra_path_length",
        lambda *a, **k: calls.append(a[1]) or real(*a, **k),
    )
    # Interior junctions (corner nodes disappear when osmnx simplifies the graph).
    places = [
        at(0, 1),
        at(0, 2),
        at(1, 1),
        at(1, 2),
        at(1, 3),
        at(2, 3),
        at(2, 3),
        Location(51.90, -0.10),
    ]
    m = model.minutes(places)
    assert np.isfinite(m).all()
    assert len(calls) == 7  # the two identical places share one origin node
    assert m[0, 1] < m[2, 3]  # 330 m on the 40 mph primary beats 330 m of residential street
    assert m[4, 5] < m[5, 4]  # up the one-way street vs round the block
    assert model.fallback_pairs == 2 * 7
    assert m[5, 6] == 0


def test_graphml_round_trip(tmp_path):
    """A graph saved as .graphml gives the same times as the .osm it came from."""
    import osmnx as ox

    at = write_osm(tmp_path / "town.osm")
    from scheduler.travel_osm import RoadNetwork

    osm = RoadNetwork(tmp_path / "town.osm")
    ox.save_graphml(osm.graph(), tmp_path / "town.graphml")
    gml = model_from_options(str(tmp_path / "town.graphml"))
    places = [at(0, 0), at(2, 2), at(3, 1)]
    assert np.allclose(osm.minutes(places), gml.minutes(places), atol=0.01)
