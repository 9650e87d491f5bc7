"""Structured logs: one JSON object a line on stderr, for the web processes and the workers,
with no patient data in them.

What a line may carry is decided here, not at each call: the time, level, logger, process,
the message, and the ``extra`` fields a caller passes (job ids, states, seconds, the request's
method, path *template*, endpoint, status and duration). A request is logged by its route
(``/api/days/<date>/routes/<cid>``), never its raw path or query string, so no clinician id,
visit id or date of a patient's visit reaches the log; gunicorn's own access log (raw paths)
is off. An exception is logged by its type and the stack's file, line and function names,
not its message, since a message may quote a row of a patient's file (``KeyError:
'P0007-obs-0800'``); the full error is stored on the job's row, which only its users see.

``HAH_LOG_FORMAT=text`` gives plain lines for a terminal; ``HAH_LOG_LEVEL`` (default INFO).
"""

from __future__ import annotations

import json
import logging
import os
import sys
import traceback
from datetime import UTC, datetime
from typing import Any

#: Attributes every LogRecord has: anything else on a record came from ``extra``.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}
#: ``extra`` keys that may be logged (anything else is dropped, so a careless ``extra`` can
#: not leak a field nobody reviewed).
ALLOWED_EXTRA = frozenset({
    "method", "endpoint", "path", "status", "ms", "role", "request_id", "job_id", "run_id",
    "attempt", "state", "seconds", "queue", "worker", "workers", "revision", "kind",
    "requeued", "failed", "bind", "pid",
})  # fmt: skip


def _stack(exc_info) -> dict[str, Any]:
    etype, _value, tb = exc_info
    frames = [f"{f.filename.rsplit('/', 2)[-1]}:{f.lineno}:{f.name}"
              for f in traceback.extract_tb(tb)]  # fmt: skip
    return {"exc_type": getattr(etype, "__name__", str(etype)), "stack": frames[-12:]}


def _first_line_of_tracebacks(message: str) -> str:
    """A library that puts a formatted traceback in its message (RQ does) keeps its first
    line only: the exception's text may quote patient data."""
    cut = message.find("\nTraceback")
    return message if cut < 0 else message[:cut] + " (traceback omitted)"


class JsonFormatter(logging.Formatter):
    """A record as one line of JSON (see the module's docstring for what it may carry)."""

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "pid": record.process,
            "msg": _first_line_of_tracebacks(record.getMessage()),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and key in ALLOWED_EXTRA:
                out[key] = value
        if record.exc_info and record.exc_info[0] is not None:
            out |= _stack(record.exc_info)
        return json.dumps(out, default=str, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def formatException(self, ei) -> str:
        info = _stack(ei)
        return f"  {info['exc_type']} at " + " < ".join(reversed(info["stack"]))


def formatter() -> logging.Formatter:
    text = os.environ.get("HAH_LOG_FORMAT", "json") == "text"
    return TextFormatter() if text else JsonFormatter()


def configure(level: str | None = None) -> None:
    """The root logger writes formatted lines to stderr (idempotent)."""
    root = logging.getLogger()
    level = (level or os.environ.get("HAH_LOG_LEVEL") or "INFO").upper()
    root.setLevel(level)
    for handler in list(root.handlers):
        if getattr(handler, "_hah", False):
            root.removeHandler(handler)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter())
    handler._hah = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    for name in ("rq.worker", "rq.job", "rq.scheduler", "gunicorn.error"):
        logger = logging.getLogger(name)
        logger.handlers = []
        logger.propagate = True
    logging.getLogger("alembic").setLevel(max(root.level, logging.WARNING))


def gunicorn_logconfig() -> dict[str, Any]:
    """gunicorn's ``logconfig_dict``: its error log through the same formatter, no access
    log (the app logs each request by its route instead)."""
    text = os.environ.get("HAH_LOG_FORMAT") == "text"
    fmt = "web.logs.TextFormatter" if text else "web.logs.JsonFormatter"
    level = (os.environ.get("HAH_LOG_LEVEL") or "INFO").upper()
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"hah": {"()": fmt}},
        "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "hah",
                                "stream": "ext://sys.stderr"}},
        "root": {"level": level, "handlers": ["stderr"]},
        "loggers": {
            "gunicorn.error": {"level": level, "handlers": [], "propagate": True},
            "gunicorn.access": {"level": "CRITICAL", "handlers": [], "propagate": False},
            "alembic": {"level": "WARNING", "handlers": [], "propagate": True},
        },
    }  # fmt: skip
