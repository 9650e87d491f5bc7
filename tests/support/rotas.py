"""Hand-built rotas of a few visits and clinicians, for the diff tests."""

from __future__ import annotations

from datetime import datetime, timedelta

from scheduler.domain.diff import ClinicianChanges, RotaDiff
from scheduler.domain.model import Location, Reason, Rota, Route, Stop, Unassigned, Visit, Window
from tests.support.factories import at


def visit(vid: str, staff: int = 1) -> Visit:
    return Visit(vid, "P" + vid[1:], Location(51.7, -0.3), Window(at(7), at(20)), 30, staff=staff)


VISITS = [visit("V1"), visit("V2", staff=2), visit("V3"), visit("V4")]


def stop(vid: str, start: datetime) -> Stop:
    return Stop("visit", vid, start, start, start + timedelta(minutes=30), 0)


def route(cid: str, *stops: Stop) -> Route:
    return Route(cid, tuple(stops))


def changes_for(d: RotaDiff, cid: str) -> ClinicianChanges:
    """``cid``'s changes in ``d``, which the caller expects to be there."""
    changes = d.for_clinician(cid)
    assert changes is not None, f"no changes for {cid}"
    return changes


def rota(*routes: Route, unassigned: tuple[str, ...] = ()) -> Rota:
    return Rota(
        tuple(routes),
        tuple(Unassigned(v, f"no room for {v}", Reason.CAPACITY) for v in unassigned),
    )


BASE = rota(
    route("C1", stop("V1", at(9)), stop("V2", at(11))),
    route("C2", stop("V2", at(11)), stop("V4", at(14))),
    unassigned=("V3",),
)
