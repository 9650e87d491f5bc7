"""Travel models: the geodesic default, rounding and the disk cache, and the road network on a
tiny OpenStreetMap file that the tests write themselves (nothing is downloaded)."""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from geopy.distance import great_circle  # geopy has no type hints

from scheduler.domain.model import Location
from scheduler.domain.travel import (
    NO_CACHE,
    Geodesic,
    great_circle_km,
    model_from_options,
    travel_matrix,
)

# Town centres (public facts): Stevenage, Watford, St Albans, Hertford.
STEVENAGE, WATFORD = Location(51.90, -0.20), Location(51.66, -0.40)
TOWNS = [STEVENAGE, WATFORD, Location(51.75, -0.34), Location(51.80, -0.08)]


# -- Geodesic ---------------------------------------------------------------------------------


def test_great_circle_matches_geopy():
    """The vectorised distance agrees with geopy's great_circle within 0.1 %, for town-to-town
    trips and for next-door places 20 m apart."""
    places = [*TOWNS, Location(51.9002, -0.2000), Location(51.9000, -0.2003)]
    km = great_circle_km(places)
    for i, a in enumerate(places):
        for j, b in enumerate(places):
            if i != j:
                ref = great_circle((a.lat, a.lon), (b.lat, b.lon)).km
                assert km[i, j] == pytest.approx(ref, rel=1e-3)


def test_geodesic_diagonal_and_same_place_are_zero():
    """Nothing to drive from a place to itself, also when it appears twice in the list."""
    places = [*TOWNS, Location(51.90, -0.20)]
    m = Geodesic().minutes(places)
    assert (np.diag(m) == 0).all()
    assert m[0, 4] == 0 and m[4, 0] == 0
    assert (m[~np.eye(5, dtype=bool) & (m == 0)].size) == 2


def test_geodesic_is_symmetric():
    """Great-circle driving is the same both ways."""
    m = Geodesic().minutes(TOWNS)
    assert np.allclose(m, m.T)


def test_geodesic_time_grows_with_distance():
    """A farther patient never takes less time to reach: places due north of Stevenage at
    increasing distances get strictly increasing times."""
    places = [STEVENAGE] + [Location(51.90 + k * 0.01, -0.20) for k in range(1, 80)]
    row = Geodesic().minutes(places)[0, 1:]
    assert (np.diff(row) > 0).all()


def test_geodesic_time_is_realistic():
    """Stevenage → Watford, 30 km in a straight line, comes to a plausible 35–60 minutes, and
    a 500 m hop to a few minutes, not seconds."""
    m = Geodesic().minutes([STEVENAGE, WATFORD, Location(51.9045, -0.20)])
    assert great_circle_km([STEVENAGE, WATFORD])[0, 1] == pytest.approx(30, abs=1.5)
    assert 35 <= m[0, 1] <= 60
    assert 3 <= m[0, 2] <= 6


@pytest.mark.parametrize("boundary", [2.0, 10.0, 30.0])
def test_speed_bands_join_without_a_jump(boundary):
    """Time is continuous where one speed band hands over to the next."""
    below, above = Geodesic().road_minutes(np.array([boundary - 1e-6, boundary + 1e-6]))
    assert 0 < above - below < 0.1


def test_geodesic_name_reflects_every_parameter():
    """Changing any parameter changes the name, and so the cache entry."""
    base = Geodesic()
    changed: dict[str, Any] = {  # each field's own type, so Any
        "circuity": 1.4,
        "band_km": (3.0, 10.0, 30.0),
        "band_kmh": (20.0, 35.0, 50.0, 70.0),
        "overhead_min": 3.0,
    }
    assert {f.name for f in dataclasses.fields(Geodesic)} == set(changed)
    names = {dataclasses.replace(base, **{k: v}).name for k, v in changed.items()}
    assert len(names | {base.name}) == len(changed) + 1


@pytest.mark.parametrize(
    "kwargs",
    [
        {"circuity": 0.9},
        {"band_km": (10.0, 2.0, 30.0)},
        {"band_kmh": (20.0, 35.0)},
        {"band_kmh": (20.0, 0.0, 50.0, 65.0)},
        {"overhead_min": -1.0},
    ],
)
def test_geodesic_refuses_nonsense_parameters(kwargs):
    """Parameters that would make time shrink or jump are refused at construction."""
    with pytest.raises(ValueError):
        Geodesic(**kwargs)


def test_geodesic_1300_places_is_fast():
    """A 1,300 × 1,300 matrix (a large day) takes well under a second (best of three)."""
    rng = np.random.default_rng(1)
    places = [
        Location(float(a), float(b))
        for a, b in zip(rng.uniform(51.6, 52.1, 1300), rng.uniform(-0.7, 0.2, 1300), strict=True)
    ]
    best = np.inf
    for _ in range(3):
        t0 = time.perf_counter()
        m = travel_matrix(places, Geodesic(), cache_dir=NO_CACHE)
        best = min(best, time.perf_counter() - t0)
    assert m.minutes.shape == (1300, 1300)
    assert best < 1.0


# -- travel_matrix: rounding and the cache ----------------------------------------------------


class Fixed:
    """A model returning a given matrix, to pin down the rounding rules."""

    name = "fixed"

    def __init__(self, minutes):
        self.values = np.array(minutes, dtype=float)

    def minutes(self, locations):
        return self.values


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


def test_matrix_rounds_half_up_with_one_minute_floor():
    """Whole minutes rounded half up; at least 1 between distinct places; 0 on the diagonal."""
    model = Fixed([[0.4, 0.2, 1.5], [2.49, 0.0, 2.5], [0.5, 1e-9, 0.0]])
    m = travel_matrix(TOWNS[:3], model, cache_dir=NO_CACHE)
    assert m.minutes.dtype == np.int32
    assert m.minutes.tolist() == [[0, 1, 2], [2, 0, 3], [1, 1, 0]]
    assert m.model_name == "fixed"


def test_matrix_same_place_costs_nothing():
    """Two entries at the same coordinates are one place: 0 minutes between them, even if a
    model says otherwise."""
    places = [*TOWNS[:2], TOWNS[0]]
    m = travel_matrix(places, Fixed(np.full((3, 3), 5.0)), cache_dir=NO_CACHE)
    assert m.minutes.tolist() == [[0, 5, 0], [5, 0, 5], [0, 5, 0]]


@pytest.mark.parametrize(
    "bad", [np.full((4, 4), np.nan), -np.ones((4, 4)), np.zeros((3, 3)), np.full((4, 4), np.inf)]
)
def test_matrix_refuses_broken_model_output(bad):
    """NaN, negative, infinite or wrong-shaped model output is an error, not a rota."""
    with pytest.raises(ValueError, match="travel model fixed"):
        travel_matrix(TOWNS, Fixed(bad), cache_dir=NO_CACHE)


def test_empty_day_gives_empty_matrix(tmp_path):
    """No places, no matrix, and nothing cached."""
    m = travel_matrix([], cache_dir=tmp_path)
    assert m.minutes.shape == (0, 0) and not list(tmp_path.iterdir())


def test_cache_hit_does_not_ask_the_model_again(tmp_path):
    """A second request for the same places and model is served from disk, identically."""
    model = Counting(Geodesic())
    first = travel_matrix(TOWNS, model, cache_dir=tmp_path)
    again = travel_matrix(TOWNS, model, cache_dir=tmp_path)
    assert model.calls == 1
    assert (first.minutes == again.minutes).all() and again.minutes.dtype == np.int32
    assert again.model_name == model.name
    assert (first.minutes[~np.eye(4, dtype=bool)] >= 1).all()


def test_cache_keys_on_model_name_and_places(tmp_path):
    """A different model name, or the same places in another order, is a separate entry."""
    model, other = Counting(Geodesic()), Counting(Geodesic(), tag="-other")
    travel_matrix(TOWNS, model, cache_dir=tmp_path)
    travel_matrix(TOWNS, other, cache_dir=tmp_path)
    travel_matrix(TOWNS[::-1], model, cache_dir=tmp_path)
    assert (model.calls, other.calls) == (2, 1)
    assert len(list(tmp_path.glob("*.npy"))) == 3


def test_corrupt_cache_is_recomputed_and_rewritten(tmp_path):
    """A damaged cache file is ignored (with a warning), recomputed and replaced."""
    model = Counting(Geodesic())
    good = travel_matrix(TOWNS, model, cache_dir=tmp_path)
    (cached,) = tmp_path.glob("*.npy")
    cached.write_bytes(b"not numpy at all")
    m = travel_matrix(TOWNS, model, cache_dir=tmp_path)
    assert model.calls == 2 and (m.minutes == good.minutes).all()
    assert (np.load(cached) == good.minutes).all()


def test_wrong_shaped_cache_is_recomputed_and_rewritten(tmp_path):
    """A valid .npy of the wrong shape under the right key is not trusted."""
    model = Counting(Geodesic())
    travel_matrix(TOWNS, model, cache_dir=tmp_path)
    (cached,) = tmp_path.glob("*.npy")
    np.save(cached, np.zeros((2, 2), dtype=np.int32))
    m = travel_matrix(TOWNS, model, cache_dir=tmp_path)
    assert model.calls == 2 and m.minutes.shape == (4, 4)
    assert np.load(cached).shape == (4, 4)
    assert not list(tmp_path.glob("*.tmp"))  # the atomic write left no temp file behind


def test_cache_location_and_opt_out(tmp_path, monkeypatch):
    """The default folder is $HAH_CACHE_DIR; NO_CACHE neither reads nor writes anything."""
    monkeypatch.setenv("HAH_CACHE_DIR", str(tmp_path / "env"))
    model = Counting(Geodesic())
    travel_matrix(TOWNS, model, cache_dir=NO_CACHE)
    assert not (tmp_path / "env").exists()
    travel_matrix(TOWNS, model)
    assert len(list((tmp_path / "env").glob("*.npy"))) == 1
    travel_matrix(TOWNS, model, cache_dir=NO_CACHE)
    assert model.calls == 3


def test_unwritable_cache_does_not_stop_a_solve(tmp_path, caplog):
    """If the cache folder cannot be made, the matrix is still returned (with a warning)."""
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    with caplog.at_level(logging.WARNING):
        m = travel_matrix(TOWNS, cache_dir=blocker / "cache")
    assert m.minutes.shape == (4, 4)
    assert "could not write travel cache" in caplog.text


# -- model_from_options -----------------------------------------------------------------------


def test_model_from_options(tmp_path):
    """No --roads → Geodesic; a missing file, a folder or an unknown extension → a clear
    ValueError; a .osm file → a RoadNetwork that has not parsed the map yet (a cache hit must
    not pay for parsing)."""
    assert isinstance(model_from_options(None), Geodesic)
    with pytest.raises(ValueError, match="does not exist"):
        model_from_options(str(tmp_path / "missing.osm"))
    with pytest.raises(ValueError, match="not a file"):
        model_from_options(str(tmp_path))
    pbf = tmp_path / "map.osm.pbf"
    pbf.write_text("x")
    with pytest.raises(ValueError, match=r"expected a \.osm.*osmium"):
        model_from_options(str(pbf))
    osm = tmp_path / "town.osm"
    write_osm(osm)
    model = model_from_options(str(osm))
    from scheduler.domain.travel import RoadNetwork

    assert isinstance(model, RoadNetwork) and model._graph is None


# -- RoadNetwork on a tiny map ----------------------------------------------------------------

LAT0, LON0, DLAT, DLON = 51.80, -0.20, 0.003, 0.0048  # grid steps of about 330 m
ISLAND = Location(51.90, -0.10)  # about 11 km from the grid


def nid(i: int, j: int) -> int:
    """Grid node id: row i (northwards), column j (eastwards)."""
    return 1 + i * 4 + j


def place(i: float, j: float) -> Location:
    """The place ``i`` grid steps north and ``j`` east of the map's south-west corner."""
    return Location(round(LAT0 + i * DLAT, 7), round(LON0 + j * DLON, 7))


def write_osm(path: Path, comment: str = "") -> None:
    """A tiny synthetic town as OSM XML.

    A 4×4 grid: row 0 is a primary road signed "40 mph", rows 1–3 and the columns are
    residential, column 3 is one-way northbound. Non-roads that osmnx's reader would
    otherwise turn into edges: a footway and an access=private road, each short-cutting the
    one-way street the wrong way, a building, and a shop node. A motorway leaves the primary
    road eastwards by a slip road, and a separate two-node street lies 11 km away (an island).
    """
    nodes = [(nid(i, j), place(i, j)) for i in range(4) for j in range(4)]
    nodes += [
        (50, place(1.5, 3.3)),  # footway midpoint
        (51, place(1.5, 2.7)),  # private road midpoint
        *[(60 + k, place(1.1 + k // 2 * 0.2, 1.1 + k % 2 * 0.2)) for k in range(4)],  # building
        (70, place(1.05, 1.05)),  # a shop: a lone node
        (80, place(0, 5)),
        (81, place(3, 5)),  # motorway
        (90, ISLAND),
        (91, Location(51.901, -0.10)),  # island street
    ]
    residential = {"highway": "residential"}
    ways = [(100 + i, [nid(i, j) for j in range(4)], residential) for i in range(1, 4)]
    ways.append((200, [nid(0, j) for j in range(4)], {"highway": "primary", "maxspeed": "40 mph"}))
    ways += [(300 + j, [nid(i, j) for i in range(4)], residential) for j in range(3)]
    ways.append((303, [nid(i, 3) for i in range(4)], {"highway": "residential", "oneway": "yes"}))
    ways.append((500, [nid(2, 3), 50, nid(1, 3)], {"highway": "footway"}))
    ways.append((501, [nid(2, 3), 51, nid(1, 3)], {"highway": "residential", "access": "private"}))
    ways.append((600, [60, 61, 63, 62, 60], {"building": "yes"}))
    ways.append((700, [nid(0, 3), 80], {"highway": "motorway_link"}))
    ways.append((701, [80, 81], {"highway": "motorway"}))
    ways.append((800, [90, 91], residential))
    xml = ['<?xml version="1.0" encoding="UTF-8"?>', '<osm version="0.6" generator="test">']
    for n, p in nodes:
        node_tags = '<tag k="shop" v="chemist"/>' if n == 70 else ""
        xml.append(f'<node id="{n}" lat="{p.lat}" lon="{p.lon}" version="1">{node_tags}</node>')
    for w, refs, tags in ways:
        xml.append(f'<way id="{w}" version="1">')
        xml += [f'<nd ref="{r}"/>' for r in refs]
        xml += [f'<tag k="{k}" v="{v}"/>' for k, v in tags.items()]
        xml.append("</way>")
    xml.append(f"</osm>{comment}\n")
    path.write_text("\n".join(xml))


#: Junctions that survive osmnx's simplification (corners with two roads are merged away),
#: one place twice, and one on the island.
PLACES = [place(0, 1), place(0, 2), place(1, 1), place(1, 2), place(1, 3), place(2, 3),
          place(2, 3), ISLAND]  # fmt: skip


@pytest.fixture(scope="module")
def town(tmp_path_factory):
    """The map on disk and a RoadNetwork on it, parsed once for the whole module."""
    from scheduler.domain.travel_osm import RoadNetwork

    path = tmp_path_factory.mktemp("map") / "town.osm"
    write_osm(path)
    model = RoadNetwork(path)
    model.graph()
    return path, model


def test_only_drivable_roads_are_kept(town):
    """Footways, private roads, buildings and lone nodes never enter the drive graph."""
    from scheduler.domain.travel_osm import DRIVABLE

    _, model = town
    G = model.graph()
    kinds = {k for *_, h in G.edges(data="highway") for k in ([h] if isinstance(h, str) else h)}
    assert kinds <= DRIVABLE and {"primary", "residential", "motorway"} <= kinds
    assert not {50, 51, 60, 61, 62, 63, 70} & set(G.nodes)
    assert all(np.isfinite(t) and t > 0 for *_, t in G.edges(data="travel_time"))


def test_road_times_finite_and_plausible(town):
    """Every grid trip is finite and a few minutes (0.3–1.5 km plus parking)."""
    _, model = town
    m = model.minutes(PLACES)
    assert np.isfinite(m).all()
    grid = m[:6, :6][~np.eye(6, dtype=bool)]  # six distinct places on the grid
    assert ((grid > 2) & (grid < 10)).all()


def test_primary_road_is_faster_than_residential(town):
    """330 m on the 40 mph primary road takes less time than 330 m of residential street."""
    _, model = town
    m = model.minutes(PLACES)
    assert m[0, 1] < m[2, 3] - 0.2


def test_one_way_street_makes_times_asymmetric(town):
    """Down a one-way street the right way is direct; back means going round the block (and
    not along the footway or the private road beside it)."""
    _, model = town
    m = model.minutes(PLACES)
    assert m[4, 5] + 0.8 < m[5, 4]


def test_island_falls_back_to_geodesic_and_is_counted(town, caplog):
    """A place with no road route to the others gets the geodesic estimate for its trips; the
    count is logged without any coordinates."""
    path, model = town
    with caplog.at_level(logging.WARNING, logger="scheduler.domain.travel_osm"):
        m = model.minutes(PLACES)
    estimate = Geodesic().minutes(PLACES)
    assert model.unsnapped_places == 1 and model.fallback_pairs == 2 * 7
    assert np.allclose(m[:, 7], estimate[:, 7]) and np.allclose(m[7], estimate[7])
    assert not np.allclose(m[:7, :7], estimate[:7, :7])
    assert "14 of 56 trips" in caplog.text and path.name in caplog.text
    assert "51.9" not in caplog.text and "-0.1" not in caplog.text


def test_same_place_twice_costs_nothing(town):
    """Two entries at one door are 0 apart in both directions."""
    _, model = town
    m = model.minutes(PLACES)
    assert m[5, 6] == 0 and m[6, 5] == 0 and (np.diag(m) == 0).all()


def test_one_dijkstra_per_distinct_origin_node(town, monkeypatch):
    """Routing runs one single-source search per distinct snapped node (6 here: 8 places, one
    twice, one off the network), never one per pair."""
    import networkx as nx

    _, model = town
    origins = []
    real = nx.single_source_dijkstra_path_length

    def counting(G, source, *args, **kwargs):
        origins.append(source)
        return real(G, source, *args, **kwargs)

    monkeypatch.setattr(nx, "single_source_dijkstra_path_length", counting)
    model.minutes(PLACES)
    assert sorted(origins) == sorted(
        {nid(0, 1), nid(0, 2), nid(1, 1), nid(1, 2), nid(1, 3), nid(2, 3)}
    )
    assert model.dijkstra_calls == 6


def test_places_never_snap_onto_a_motorway(town):
    """A door beside the motorway joins the road network at the nearest ordinary junction,
    with the walk-in time added, not at the motorway node under it."""
    _, model = town
    snap = model.snap([place(3, 5), place(1, 1)])
    assert snap.nodes[0] == nid(3, 3)
    km = great_circle_km([place(3, 5), place(3, 3)])[0, 1]
    assert snap.access_min[0] == pytest.approx(km / 15 * 60, rel=1e-3)
    assert snap.nodes[1] == nid(1, 1) and snap.access_min[1] == pytest.approx(0, abs=1e-6)


def test_road_network_in_a_cached_matrix(town, tmp_path):
    """Through travel_matrix the road times become whole minutes, 0 for the same place."""
    _, model = town
    m = travel_matrix(PLACES, model, cache_dir=tmp_path).minutes
    assert m.dtype == np.int32 and m[5, 6] == 0
    assert (m[~np.eye(8, dtype=bool) & (m == 0)].size) == 2


def test_name_tracks_file_contents_and_parameters(tmp_path):
    """The name holds the file's path and SHA-256; editing the map or a parameter changes it,
    so the cache can never serve times from an old map."""
    from scheduler.domain.travel_osm import RoadNetwork

    path = tmp_path / "town.osm"
    write_osm(path)
    first = RoadNetwork(path)
    assert str(path.resolve()) in first.name
    assert hashlib.sha256(path.read_bytes()).hexdigest() in first.name
    assert RoadNetwork(path, access_kmh=10).name != first.name
    write_osm(path, comment="<!-- edited -->")
    assert RoadNetwork(path).name != first.name


@pytest.mark.parametrize("projected", [False, True])
def test_graphml_round_trip(town, tmp_path, projected):
    """A graph saved as .graphml and read back through --roads gives the same times, also
    when it was saved projected to metres (it is brought back to lat/lon for snapping)."""
    import osmnx as ox

    from scheduler.domain.travel_osm import RoadNetwork

    _, osm = town
    G = ox.project_graph(osm.graph()) if projected else osm.graph()
    ox.save_graphml(G, tmp_path / "town.graphml")
    gml = model_from_options(str(tmp_path / "town.graphml"))
    assert isinstance(gml, RoadNetwork)
    assert gml.name != osm.name
    assert np.allclose(osm.minutes(PLACES), gml.minutes(PLACES), atol=1e-6)
    assert gml.fallback_pairs == osm.fallback_pairs


def test_unreadable_or_roadless_map_is_a_clear_error(tmp_path):
    """A broken file, or one with no drivable road, is a ValueError naming the file."""
    from scheduler.domain.travel_osm import RoadNetwork

    broken = tmp_path / "broken.osm"
    broken.write_text("<osm><node id=")
    with pytest.raises(ValueError, match=r"broken\.osm could not be read"):
        RoadNetwork(broken).minutes(PLACES[:2])
    paths = tmp_path / "paths.osm"
    paths.write_text(
        '<osm version="0.6"><node id="1" lat="51.8" lon="-0.2"/><node id="2" lat="51.801" '
        'lon="-0.2"/><way id="3"><nd ref="1"/><nd ref="2"/><tag k="highway" v="footway"/>'
        "</way></osm>"
    )
    with pytest.raises(ValueError, match=r"paths\.osm has no drivable roads"):
        RoadNetwork(paths).minutes(PLACES[:2])
