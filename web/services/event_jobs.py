"""The worker side of a live-day event: its proposals worked out off the web request.

An event is stored at once by the request (``events.propose``: everything that can be
refused without solving is refused there), queued, and worked out here: re-plans of the day
(``scheduler.usecases.replan_day``) and "who could take it" (0.5–2 s of CPU each), which
must not hold up a web process. It is the third kind of work beside solve jobs and capacity
runs, on its own queue (``<prefix>-live``), so an urgent referral is not waiting behind a
long Generate; claimed, leased and stored only while owned, as ``jobs.run_job`` does, and
re-queued or failed by the reaper when its worker dies.
"""

from __future__ import annotations

import logging
import time

from web.db import get_or_fail
from web.models import DayEvent, utcnow
from web.services import runners

log = logging.getLogger(__name__)

#: The most seconds the queue lets one event's work run before killing it: a few re-plans
#: of ``events.REPLAN_SECONDS`` each, reading the day and storing the answer.
EVENT_TIMEOUT_S = int(runners.env_float("HAH_EVENT_TIMEOUT_S", 180))


def run_event(db_url: str, event_id: int, attempt: int | None = None, *,
              watch_parent: bool = False) -> None:  # fmt: skip
    """Work out one event's proposals end to end (in a queue worker or a thread); never
    raises. The event ends ``ready`` with its proposals, or ``failed`` with the reason."""
    from web.services.events import store_answer, work_out

    t0 = time.monotonic()
    with runners.owned_work(db_url, DayEvent, event_id, attempt, what="event",
                            watch_parent=watch_parent) as work:  # fmt: skip
        if work is None:
            return
        with work.db.session() as s:
            solve = work_out(s, get_or_fail(s, DayEvent, event_id))
        result = solve()
        with work.db.session() as s:
            if not work.still_ours(s, "event"):
                return
            event = get_or_fail(s, DayEvent, event_id)
            store_answer(s, event, result)
            event.finished_at = event.heartbeat_at = utcnow()
            s.commit()
        log.info("event answered", extra={"job_id": event_id, "kind": "live",
                 "attempt": work.attempt, "seconds": round(time.monotonic() - t0, 2)})  # fmt: skip


def event_timeout(event: DayEvent) -> int:
    return EVENT_TIMEOUT_S


WORK = runners.Work(run_event, DayEvent, "live", "web.tasks.live", event_timeout)


def make_event_runner(kind: str, db_url: str,
                      queue: runners.QueueSettings | None = None) -> runners.Runner:  # fmt: skip
    """The app's event runner, of the same kind as the solve jobs' (``HAH_JOB_RUNNER``)."""
    return runners.make(kind, db_url, WORK, queue)
