"""The heavy part of the coordinator's day board, rendered once per state of the day.

The map data, timeline, every stop of every route, the unassigned and the idle clinicians
are ~0.9 MB of HTML for the sample day and most of the board's cost (~80 ms of Python a
load): five coordinators refreshing one board during the live day would each pay it for
the same page. So the fragment (``coordinator/_board_sections.html``) is kept per process,
keyed by everything it shows: the version's rota and locks (``rota_key``: database, row,
stamp), the day's files (their content hash), the nurses' latest reports, each stop's live
state at the service clock (which moves with the time and the open flags), and the map's
tile settings. Anything else on the board (forms with their CSRF tokens, events, jobs, the
viewer) is rendered afresh every time, and the fragment holds nothing of the viewer, so it
may be shared between coordinators.

With the job queue's Redis (``HAH_JOB_RUNNER=queue``, as served) the fragment is shared by
the web workers too: one worker renders a state and the others read it (compressed, ~75 KB,
for ``SHARED_TTL_S``), and a worker finding another already rendering it waits for that up
to ``SHARED_WAIT_S``. Measured on a quiet machine, five coordinators opening the board of a
just-started service: each of the four workers rendering the same fragment at once was the
whole of the board's p95. Redis unreachable or slow means rendering here, never an error.
"""

from __future__ import annotations

import hashlib
import logging
import time
import zlib
from typing import Any

from flask import current_app, render_template
from markupsafe import Markup

from web.db import get_or_fail
from web.models import DayImport, RotaVersion
from web.services.days import content_key, day_inputs
from web.services.edits import locks_of
from web.services.live_board import STATE_LABELS, actions, with_names
from web.services.memo import ProcessCache
from web.services.rotas import board, rota_key, version_rota

_SECTIONS: ProcessCache[Markup] = ProcessCache(16)
SHARED_TTL_S = 600
SHARED_WAIT_S = 2.0
log = logging.getLogger(__name__)


def _fingerprint(items: dict) -> str:
    """A short hash of a dict's items in a fixed order (reports, states)."""
    h = hashlib.blake2b(digest_size=16)
    for k, v in sorted(items.items(), key=lambda kv: repr(kv[0])):
        h.update(repr((k, sorted(v.items()) if isinstance(v, dict) else v)).encode())
    return h.hexdigest()


def annotate(data: dict[str, Any], states: dict[tuple[str, str], str]) -> None:
    """Each stop's live state, and for each unassigned visit what the coordinator can do and
    its reason with clinicians' names."""
    for row in data["routes"]:
        for stop in row["stops"]:
            if stop.get("visit_id"):
                stop["state"] = states.get((stop["visit_id"], row["clinician_id"]), "planned")
    names = {r["clinician_id"]: r["name"] for r in data["routes"]}
    names.update({c["clinician_id"]: c["name"] for c in data["idle"]})
    for u in data["unassigned"]:
        u["actions"] = actions(u["code"])
        u["reason_named"] = with_names(u["reason"], names)


def board_sections(
    s, day_s: str, selected: RotaVersion, statuses: dict, states: dict[tuple[str, str], str]
) -> Markup:
    """The board's map, timeline, routes, unassigned and idle sections for ``selected``."""
    imp = get_or_fail(s, DayImport, selected.import_id)
    config = current_app.config
    tiles = (config["HAH_TILE_URL"], config["HAH_TILE_ATTRIBUTION"])
    key = (rota_key(selected), content_key(imp), day_s, _fingerprint(statuses),
           _fingerprint(states), tiles)  # fmt: skip
    redis, prefix = _shared_store()
    name = f"{prefix}:board:{hashlib.sha256(repr(key).encode()).hexdigest()}"
    return _SECTIONS.get_or_make(
        key, lambda: _shared(redis, name, lambda: _render(selected, imp, day_s, statuses, states))
    )


def _shared_store():
    """The queue's Redis client and key prefix, when the app runs on the queue."""
    if current_app.config.get("HAH_JOB_RUNNER") != "queue":
        return None, ""
    queue = current_app.extensions["hah_queue"]
    return queue.redis(), queue.prefix


def _shared(redis, name: str, render) -> Markup:
    """The fragment from the workers' shared store, else rendered here (and stored)."""
    if redis is None:
        return render()
    try:
        stored = redis.get(name)
        if stored is None and not redis.set(f"{name}:rendering", "1", nx=True, ex=10):
            deadline = time.monotonic() + SHARED_WAIT_S  # another worker is rendering it
            while stored is None and time.monotonic() < deadline:
                time.sleep(0.02)
                stored = redis.get(name)
        if stored is not None:
            return Markup(zlib.decompress(stored).decode())  # our own rendering
    except Exception:  # Redis down or slow: render here
        log.warning("board fragment store unavailable", exc_info=True)
        return render()
    html = render()
    try:
        redis.set(name, zlib.compress(str(html).encode(), 1), ex=SHARED_TTL_S)
        redis.delete(f"{name}:rendering")
    except Exception:
        log.warning("board fragment store unavailable", exc_info=True)
    return html


def _render(selected: RotaVersion, imp: DayImport, day_s: str, statuses: dict,
            states: dict[tuple[str, str], str]) -> Markup:  # fmt: skip
    config = current_app.config
    visits, shifts = day_inputs(imp)
    locks = {(x["visit_id"], x["clinician_id"]) for x in locks_of(selected)}
    data = board(visits, shifts, version_rota(selected), statuses, locks)
    annotate(data, states)
    html = Markup(
        render_template(
            "coordinator/_board_sections.html",
            board=data,
            day_s=day_s,
            selected=selected,
            state_labels=STATE_LABELS,
            tile_url=config["HAH_TILE_URL"],
            tile_attribution=config["HAH_TILE_ATTRIBUTION"],
        )
    )
    return html
