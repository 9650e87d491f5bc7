"""Places from UK postcodes, offline: a trust-supplied open postcode file, read on this machine.

A coordinator knows a patient's postcode, not her latitude and longitude. Sending addresses to
an online geocoder would send patient data off the machine, so the trust supplies one of the
two open national files instead and the lookup happens here:

- the **ONS Postcode Directory** (ONSPD, or its NSPL cousin): a CSV with a header holding a
  postcode column (``pcds``, ``pcd`` or ``pcd2``) and WGS84 ``lat``/``long``; rows without a
  grid reference carry ``99.999999`` and are skipped, terminated postcodes (``doterm`` set)
  are kept (a patient's letters may still use one) and say so when used;
- **OS Code-Point Open**: a CSV, with or without its header, whose first column is the
  postcode and whose third and fourth are British National Grid eastings and northings
  (EPSG:27700), converted to WGS84 with ``pyproj`` (to a few metres: ample for drive times).

A postcode the file does not hold (a new build, a typing slip in the last two letters) falls
back to its **district's centroid** (``AL1``, ``SG12``…), computed from the same file's
postcodes (the mean of their points) or, for a district the file has none of, from an
optional district file (``postcode,latitude,longitude`` per outward code, as the CC0 district
centroids in ``../shared/geo``). A fallback is never silent: the answer carries a ``note``
that readers turn into a warning naming the file and row, because a district centroid can be
several kilometres from the door and a coordinator should fix the postcode.

``areas`` keeps only some postcode areas (``{"AL", "SG", "HP", "WD", "EN", "CM"}`` for
Hertfordshire) so that the 2.7 million rows of the national file cost a few megabytes.
"""

from __future__ import annotations

import csv
import io
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from scheduler.domain.model import Location

#: A full UK postcode (outward code, inward code) with or without its space, upper case.
_FULL = re.compile(r"^([A-Z]{1,2}[0-9][A-Z0-9]?) ?([0-9][A-Z]{2})$")
_OUTWARD = re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]?$")
_AREA = re.compile(r"^[A-Z]{1,2}")
#: ONSPD's "no grid reference" latitude.
_NO_GRID = 99.0


class PostcodeError(ValueError):
    """A postcode that cannot be placed, with the reason in a coordinator's words."""


def normalise(postcode: str) -> str:
    """``al13hd`` → ``AL1 3HD``; an outward code alone (``SG12``) is returned as it is.
    Raises ``PostcodeError`` for text that is not a UK postcode."""
    text = re.sub(r"\s+", "", postcode or "").upper()
    m = _FULL.match(text)
    if m:
        return f"{m.group(1)} {m.group(2)}"
    if _OUTWARD.match(text):
        return text
    raise PostcodeError(f"{postcode!r} is not a UK postcode (e.g. AL1 3HD)")


def district(postcode: str) -> str:
    """The outward code (postcode district) of a normalised postcode: ``AL1 3HD`` → ``AL1``."""
    return postcode.split(" ")[0]


@dataclass(frozen=True)
class Placed:
    """Where a postcode is: ``precision`` says whether the point is the postcode's own or its
    district's centroid; ``note`` says why it fell back (empty when it did not)."""

    postcode: str
    location: Location
    precision: Literal["postcode", "district"]
    note: str = ""


@dataclass(frozen=True, eq=False)
class Gazetteer:
    """Postcode → point, from the trust's file (``from_file``); district centroids beside."""

    points: dict[str, tuple[float, float]]
    districts: dict[str, tuple[float, float]]
    terminated: frozenset[str] = frozenset()
    source: str = ""

    def __len__(self) -> int:
        return len(self.points)

    def locate(self, postcode: str) -> Placed:
        """The point of ``postcode``, or its district's centroid with a note saying so;
        raises ``PostcodeError`` when neither the postcode nor its district is known."""
        code = normalise(postcode)
        point = self.points.get(code)
        if point is not None:
            note = ""
            if code in self.terminated:
                note = f"{code} is a terminated postcode in {self.source or 'the postcode file'}"
            return Placed(code, Location(*point), "postcode", note)
        outward = district(code)
        centre = self.districts.get(outward)
        if centre is None:
            raise PostcodeError(
                f"{code}: neither the postcode nor its district {outward} is in "
                f"{self.source or 'the postcode file'}"
            )
        why = (
            f"only a postcode district ({code}) was given"
            if code == outward
            else f"{code} is not in {self.source or 'the postcode file'}"
        )
        return Placed(code, Location(*centre), "district",
                      f"{why}: placed at the centre of district {outward}, which may be "
                      "kilometres from the door; check the postcode")  # fmt: skip

    @classmethod
    def from_rows(
        cls,
        rows: Iterable[tuple[str, float, float, bool]],
        *,
        district_rows: Iterable[tuple[str, float, float]] = (),
        source: str = "",
    ) -> Gazetteer:
        """From (postcode, lat, lon, terminated) rows and optional (district, lat, lon) rows;
        a district's centroid is the mean of its postcodes' points where the file has any."""
        points: dict[str, tuple[float, float]] = {}
        terminated: set[str] = set()
        sums: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0])
        for code, lat, lon, ended in rows:
            points[code] = (lat, lon)
            if ended:
                terminated.add(code)
            acc = sums[district(code)]
            acc[0] += lat
            acc[1] += lon
            acc[2] += 1
        districts = {d: (lat, lon) for d, lat, lon in district_rows}
        districts.update({d: (a / n, b / n) for d, (a, b, n) in sums.items()})
        return cls(points, districts, frozenset(terminated), source)

    @classmethod
    def from_file(
        cls,
        path: str | Path,
        *,
        districts_file: str | Path | None = None,
        areas: Iterable[str] | None = None,
    ) -> Gazetteer:
        """The gazetteer of an ONSPD or Code-Point Open file (the format is recognised from
        its first line), with an optional district-centroid file; ``areas`` filters by
        postcode area. Raises ``PostcodeError`` for a file in neither format."""
        path = Path(path)
        keep = {a.upper() for a in areas} if areas else None
        with path.open(newline="", encoding="utf-8-sig") as f:
            rows = list(_postcode_rows(f, path.name, keep))
        extra: list[tuple[str, float, float]] = []
        if districts_file is not None:
            with Path(districts_file).open(newline="", encoding="utf-8-sig") as f:
                extra = list(_district_rows(f, Path(districts_file).name, keep))
        return cls.from_rows(rows, district_rows=extra, source=path.name)


def _wanted(code: str, keep: set[str] | None) -> bool:
    if keep is None:
        return True
    m = _AREA.match(code)
    return m is not None and m.group(0) in keep


def _postcode_rows(
    f: io.TextIOBase | Iterable[str], name: str, keep: set[str] | None
) -> Iterator[tuple[str, float, float, bool]]:
    reader = csv.reader(f)
    first = next(reader, None)
    if first is None:
        raise PostcodeError(f"{name} is empty")
    header = [c.strip().lower() for c in first]
    column = next((c for c in ("pcds", "pcd", "pcd2") if c in header), None)
    if column is not None and "lat" in header and "long" in header:
        yield from _onspd(reader, header, column, keep)
    elif header and header[0] == "postcode" and "eastings" in header and "northings" in header:
        yield from _codepoint(reader, header.index("eastings"), header.index("northings"), keep)
    elif len(first) >= 4 and _is_postcode(first[0]) and _is_number(first[2]):
        yield from _codepoint(_chain([first], reader), 2, 3, keep)  # Code-Point has no header
    else:
        raise PostcodeError(
            f"{name} is neither an ONS Postcode Directory file (columns pcds, lat, long) nor "
            "Code-Point Open (postcode, quality, eastings, northings, …)"
        )


def _onspd(
    reader, header: list[str], column: str, keep
) -> Iterator[tuple[str, float, float, bool]]:
    i, la, lo = header.index(column), header.index("lat"), header.index("long")
    term = header.index("doterm") if "doterm" in header else None
    for row in reader:
        if len(row) <= max(i, la, lo):
            continue
        try:
            code = normalise(row[i])
            lat, lon = float(row[la]), float(row[lo])
        except (PostcodeError, ValueError):
            continue
        if lat > _NO_GRID or " " not in code or not _wanted(code, keep):
            continue
        yield code, lat, lon, bool(term is not None and row[term].strip())


def _codepoint(reader, e: int, n: int, keep) -> Iterator[tuple[str, float, float, bool]]:
    from pyproj import Transformer  # the field's projection library; only Code-Point needs it

    codes: list[str] = []
    eastings: list[float] = []
    northings: list[float] = []
    for row in reader:
        if len(row) <= max(e, n):
            continue
        try:
            code = normalise(row[0])
            east, north = float(row[e]), float(row[n])
        except (PostcodeError, ValueError):
            continue
        if (east == 0 and north == 0) or " " not in code or not _wanted(code, keep):
            continue  # Code-Point's "no coordinates" rows
        codes.append(code)
        eastings.append(east)
        northings.append(north)
    if not codes:
        return
    to_wgs84 = Transformer.from_crs("EPSG:27700", "EPSG:4326", always_xy=True)
    lons, lats = to_wgs84.transform(eastings, northings)
    for code, lat, lon in zip(codes, lats, lons, strict=True):
        yield code, round(float(lat), 6), round(float(lon), 6), False


def _district_rows(f, name: str, keep) -> Iterator[tuple[str, float, float]]:
    reader = csv.DictReader(f)
    fields = [c.lower() for c in reader.fieldnames or []]
    if not {"postcode", "latitude", "longitude"} <= set(fields):
        raise PostcodeError(f"{name}: a district file needs columns postcode, latitude, longitude")
    for row in reader:
        row = {k.lower(): v for k, v in row.items() if k}
        try:
            code = normalise(row["postcode"])
            lat, lon = float(row["latitude"]), float(row["longitude"])
        except (PostcodeError, ValueError, TypeError):
            continue
        if _OUTWARD.match(code) and _wanted(code, keep):
            yield code, lat, lon


def _is_postcode(text: str) -> bool:
    try:
        return " " in normalise(text)
    except PostcodeError:
        return False


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _chain(*parts: Iterable[list[str]]) -> Iterator[list[str]]:
    for part in parts:
        yield from part
