"""Reading patient data is audited: who opened which route, board, rota or event, and when.

A view that answers with patient data (names, addresses, visits, statuses) carries
``@reads_patient_data``; each successful answer adds one ``read`` row to the audit log, naming
the page and its arguments (a day, a clinician id, a version number: never the data itself),
in its own commit after the view's, so a governance review can say who saw a patient's visits.
Refusals (401/403/404) are not reads. A test lists every GET view and fails on one that is
neither marked here nor named as holding no patient data, so a new page cannot skip the log.

The nurse's phone polls ``…/routes/<cid>/version`` (a number and a fingerprint, no patient
data) and is not audited; opening the route is.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import make_response, request

from web.security import client_ip, current_user, db_session
from web.services import audit

READS_ATTR = "_hah_reads_patient_data"
ACTION = "read"


def describe(endpoint: str, args: dict[str, Any]) -> str:
    """``nurse.route date=2026-11-23 cid=C002``: what was opened, in the audit's words."""
    shown = " ".join(f"{k}={v}" for k, v in sorted(args.items()))
    return f"{endpoint} {shown}".strip()


def record_read(user, what: str) -> None:
    """Audit one read by ``user`` (also for views that find their user themselves, such as a
    calendar feed opened by its private link) and commit it."""
    s = db_session()
    audit.record(s, user, ACTION, what, client_ip())
    s.commit()


def reads_patient_data(view: Callable) -> Callable:
    """Mark ``view`` as answering with patient data: each successful answer is audited."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any):
        response = make_response(view(*args, **kwargs))
        if response.status_code < 400:
            record_read(current_user(), describe(request.endpoint or view.__name__, kwargs))
        return response

    setattr(wrapper, READS_ATTR, True)
    return wrapper
