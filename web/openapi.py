"""The API's OpenAPI 3.1 document, written by hand so it says what the routes promise.

A test compares its paths with the app's ``/api`` routes, so a route cannot be added or
removed without this document following.
"""

from __future__ import annotations

from typing import Any

from web.openapi_caseload import paths as caseload_paths
from web.openapi_caseload import schemas as caseload_schemas
from web.openapi_fhir import paths as fhir_paths
from web.openapi_fhir import schemas as fhir_schemas

_ERR = {"description": "error", "content": {"application/json": {
    "schema": {"$ref": "#/components/schemas/Error"}}}}  # fmt: skip


def _ok(description: str, schema: str | None = None, status: str = "200") -> dict[str, Any]:
    body: dict[str, Any] = {"description": description}
    if schema:
        ref = {"$ref": f"#/components/schemas/{schema}"}
        body["content"] = {"application/json": {"schema": ref}}
    return {status: body, "400": _ERR, "401": _ERR, "403": _ERR, "404": _ERR}


def _path_param(name: str, description: str, kind: str = "string") -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "description": description,
            "schema": {"type": kind}}  # fmt: skip


DATE = _path_param("date", "service day, YYYY-MM-DD")
JOB = _path_param("job_id", "solve job id", "integer")
VERSION = _path_param("version_id", "rota version id", "integer")
EVENT = _path_param("event_id", "live-day event id", "integer")
CID = _path_param("cid", "clinician id (a nurse may only ask for her own)")
CSRF = {"name": "X-CSRF-Token", "in": "header", "required": True,
        "description": "the session's CSRF token (meta tag csrf-token on every page)",
        "schema": {"type": "string"}}  # fmt: skip


USERNAME = _path_param("username", "an account's username")


def _account_action(summary: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
    """One of the admin's POSTs on an account: 200 with a message and the account."""
    op: dict[str, Any] = {
        "summary": summary,
        "parameters": [USERNAME, CSRF],
        "responses": _ok("done", "UserAction") | {"404": _ERR, "422": _ERR},
    }
    if body is not None:
        op["requestBody"] = {"required": True, "content": {"application/json": {
            "schema": {"type": "object", "properties": body, "required": list(body)}}}}  # fmt: skip
    return {"post": op}


def document() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Hospital at Home scheduling API",
            "version": "0.1.0",
            "description": "Session-cookie auth (sign in at /auth/login); roles coordinator, "
            "nurse, ops, admin (admin may do everything). Every POST needs X-CSRF-Token. "
            "A request body is a JSON object (none: the defaults), at most 1 MiB and 32 levels "
            "deep, without NaN, Infinity or NUL characters. Every error is an Error object: "
            "400 (a body that is not a JSON object, not JSON or too deep; a bad CSRF token), "
            "401, 403, 404 (also for ids beyond 2^63 - 1), 405, 409, 413, 422.",
        },
        "paths": {
            "/api/openapi.json": {
                "get": {
                    "summary": "This document",
                    "security": [],
                    "responses": {"200": {"description": "OpenAPI"}},
                }
            },
            "/api/me": {"get": {"summary": "Who is signed in", "responses": _ok("the user", "Me")}},
            "/api/users": {
                "get": {
                    "summary": "Every account: role, clinician id, active, must change password, "
                    "last sign-in, open sessions (admin)",
                    "responses": _ok("the accounts", "Users"),
                }
            },
            "/api/users/{username}/disable": _account_action(
                "Disable an account; its open sessions end at once (admin; 422 for oneself)"
            ),
            "/api/users/{username}/enable": _account_action("Let a disabled account sign in again"),
            "/api/users/{username}/reset": _account_action(
                "Set a temporary password (body: password, which must pass the policy, else "
                "422); it must be changed at the next sign-in, and open sessions end (admin)",
                body={"password": {"type": "string"}},
            ),
            "/api/users/{username}/sign-out": _account_action(
                "End every open session of an account (admin)"
            ),
            "/api/days": {
                "get": {
                    "summary": "Imported days (coordinator, ops)",
                    "responses": _ok("days", "Days"),
                }
            },
            "/api/days/{date}": {
                "get": {
                    "summary": "A day: its import, rota versions, latest jobs (coordinator, ops)",
                    "parameters": [DATE],
                    "responses": _ok("the day", "Day") | {"404": _ERR},
                }
            },
            "/api/days/{date}/jobs": {
                "post": {
                    "summary": "Start a background solve of the day's latest import (coordinator)",
                    "parameters": [DATE, CSRF],
                    "requestBody": {
                        "required": False,
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "properties": {"time_limit_s": {"type": "number"}},
                                }
                            }
                        },
                    },
                    "responses": _ok("job accepted", "Job", "202") | {"404": _ERR, "409": _ERR},
                }
            },
            "/api/jobs/{job_id}": {
                "get": {
                    "summary": "A job's state and best-so-far: cost, visit slots placed, "
                    "seconds left, the draft version when finished (coordinator)",
                    "parameters": [JOB],
                    "responses": _ok("job", "Job") | {"404": _ERR},
                }
            },
            "/api/jobs/{job_id}/stop": {
                "post": {
                    "summary": "Stop a job; the best rota found so far is kept as a draft",
                    "parameters": [JOB, CSRF],
                    "responses": _ok("stopping", "Job", "202") | {"404": _ERR, "409": _ERR},
                }
            },
            "/api/versions/{version_id}": {
                "get": {
                    "summary": "A rota version: routes, unassigned visits with reasons, checker "
                    "KPIs and violations (coordinator, ops)",
                    "parameters": [VERSION],
                    "responses": _ok("version", "Version") | {"404": _ERR},
                }
            },
            "/api/versions/{version_id}/publish": {
                "post": {
                    "summary": "Publish a draft as the day's next numbered version (coordinator). "
                    "Optional body: confirm_replace (the number of the published version a "
                    "rota generated afresh replaces entirely). 200 with number, "
                    "already_published (the same draft published again: nothing changes, one "
                    "number, one audit entry), replaced, message. 409 with reasons when the "
                    "independent checker finds any violation, the files were imported again, "
                    "or the draft was not made from the day's latest published version: then "
                    "conflict says which (kind stale: made_from, latest, latest_changes, the "
                    "diff publishing it would undo, and rebase: possible, applied, conflicts; "
                    "kind fresh: visits_changed, clinicians_affected, confirm_replace). "
                    "422 when confirm_replace is not a version number",
                    "parameters": [VERSION, CSRF],
                    "responses": _ok("published", "Version")
                    | {"404": _ERR, "409": _ERR, "422": _ERR},
                }
            },
            "/api/versions/{version_id}/rebase": {
                "post": {
                    "summary": "Re-apply a draft made from an older published version onto the "
                    "day's latest published version (coordinator): 201 with version (a new "
                    "draft made from the latest), applied (the draft's changes, in words) and "
                    "made_from; 409 with conflicts (each in words: the same visit placed "
                    "otherwise by the latest, a rule the result would break, nothing to "
                    "re-apply) and conflict, nothing stored",
                    "parameters": [VERSION, CSRF],
                    "responses": _ok("rebased", "Version", "201") | {"404": _ERR, "409": _ERR},
                }
            },
            "/api/versions/{version_id}/edits": {
                "post": {
                    "summary": "A hand change to a version (coordinator). Body: op (move, swap, "
                    "unassign, lock, unlock), visit_id, from_clinician (which half of a "
                    "double-handed visit), to_clinician, position (1-based; omitted: the "
                    "least-late place), other_visit_id (swap), confirm, preview. Checked by "
                    "the independent checker first: 200 with the new draft when nothing new "
                    "is broken (or confirm is true), 409 with new_violations otherwise (nothing "
                    "stored), 422 when the change names what is not there",
                    "parameters": [VERSION, CSRF],
                    "responses": _ok("edited", "Version") | {"404": _ERR, "409": _ERR, "422": _ERR},
                }
            },
            "/api/versions/{version_id}/reoptimise": {
                "post": {
                    "summary": "Re-solve from a version keeping its locks (coordinator). Body: "
                    "time_limit_s, keep_plan_min (default 15: a visit moves only to save that "
                    "many minutes; null: free search). Answers the job, as POST …/jobs",
                    "parameters": [VERSION, CSRF],
                    "responses": _ok("job queued", "Job", "202")
                    | {"404": _ERR, "409": _ERR, "422": _ERR},
                }
            },
            "/api/versions/{version_id}/diff": {
                "get": {
                    "summary": "What changed from another version of the same day to this one "
                    "(coordinator, ops): per visit added / dropped / moved / re-timed, and per "
                    "clinician the visits she gains, loses and whose start moves. `from` "
                    "defaults to the version this one was made from, else the latest published "
                    "before it; `from` and `diff` are null when there is nothing to compare",
                    "parameters": [
                        VERSION,
                        {
                            "name": "from",
                            "in": "query",
                            "required": False,
                            "description": "the earlier version id (same day, else 404)",
                            "schema": {"type": "integer"},
                        },
                    ],
                    "responses": {
                        "200": {
                            "description": "diff",
                            "content": {
                                "application/json": {
                                    "schema": {
                                        "type": "object",
                                        "properties": {
                                            "from": {"type": ["object", "null"]},
                                            "to": {"type": "object"},
                                            "message": {"type": "string"},
                                            "diff": {
                                                "type": ["object", "null"],
                                                "properties": {
                                                    "summary": {"type": "object"},
                                                    "changes": {
                                                        "type": "array",
                                                        "items": {"type": "object"},
                                                    },
                                                    "clinicians": {
                                                        "type": "array",
                                                        "items": {"type": "object"},
                                                    },
                                                },
                                            },
                                        },
                                    }
                                }
                            },
                        },
                        "401": _ERR,
                        "403": _ERR,
                        "404": _ERR,
                    },
                }
            },
            "/api/days/{date}/routes/{cid}": {
                "get": {
                    "summary": "A clinician's route in the latest published version, with statuses "
                    "(a nurse: only her own; anyone else's is 404)",
                    "parameters": [DATE, CID],
                    "responses": _ok("route", "Route") | {"404": _ERR},
                }
            },
            "/api/days/{date}/routes/{cid}/version": {
                "get": {
                    "summary": "The latest published version number and a fingerprint of the "
                    "clinician's stops in it, both null while none is published (what the "
                    "nurse page polls to say her route changed; a nurse: only her own)",
                    "parameters": [DATE, CID],
                    "responses": {
                        "200": {
                            "description": "version",
                            "content": {
                                "application/json": {
                                    "schema": {
                                        "type": "object",
                                        "properties": {
                                            "date": {"type": "string"},
                                            "version": {"type": ["integer", "null"]},
                                            "fingerprint": {"type": ["string", "null"]},
                                        },
                                    }
                                }
                            },
                        },
                        "401": _ERR,
                        "403": _ERR,
                        "404": _ERR,
                    },
                }
            },
            "/api/days/{date}/statuses": {
                "get": {
                    "summary": "Nurses' latest reports per visit (coordinator, ops)",
                    "parameters": [DATE],
                    "responses": _ok("statuses", "Statuses") | {"404": _ERR},
                }
            },
            "/api/days/{date}/events": {
                "post": {
                    "summary": "Take a live-day event at the service clock's now (coordinator): "
                    "kind referral (lat, lon, skills, window_start/window_end HH:MM, default a "
                    "2-hour response, duration_min, staff, priority), absent (clinician_id, "
                    "from), late (clinician_id, minutes), cancel (visit_id), window (visit_id, "
                    "window_start, window_end), shift (clinician_id, name, skills, role, "
                    "shift_start, shift_end, start_lat, start_lon) or replan. The event is "
                    "stored at once and its proposals (changes, who to tell, travel added, "
                    "priority-1 visits left out, the checker's verdict) worked out by a "
                    "worker; the request waits up to HAH_EVENT_WAIT_S (4 s) for them: 201 "
                    "with them (or with state failed and the error), else 202 with the event "
                    "queued or running and its url (also the Location header) to poll with "
                    "GET. Nothing changes until a proposal is accepted. 422 at once, before "
                    "anything is queued, with the reason, or with file/row/column issues of "
                    "the amended day; 503 when the queue is unreachable",
                    "parameters": [DATE, CSRF],
                    "responses": _ok("the event, answered: its proposals", "Event", "201")
                    | _ok("the event, its proposals still being worked out: poll its url",
                          "Event", "202")
                    | {"422": _ERR, "503": _ERR},
                }
            },
            "/api/events/{event_id}": {
                "get": {
                    "summary": "An event (coordinator): its state (queued, running, ready, "
                    "failed) and, once ready, its proposals; what a client, or the board, "
                    "polls after a 202",
                    "parameters": [EVENT],
                    "responses": _ok("the event", "Event") | {"404": _ERR},
                }
            },
            "/api/events/{event_id}/accept": {
                "post": {
                    "summary": "Accept proposal n (0-based, body {proposal, confirm}) as a draft "
                    "from the published version (coordinator). 409 when its proposals are not "
                    "ready (queued, running or failed), when already answered, when a newer "
                    "version was published since, or when the proposal leaves out a "
                    "priority-1 visit or breaks a rule and confirm is not true",
                    "parameters": [EVENT, CSRF],
                    "responses": _ok("the draft's id and its diff URL", status="201")
                    | {"404": _ERR, "409": _ERR, "422": _ERR},
                }
            },
            "/api/days/{date}/live": {
                "get": {
                    "summary": "The live day at the service clock's now (coordinator, ops): each "
                    "visit's state (done, under way, driving, planned, at risk …), the visits "
                    "flagged at risk with fixes, the events, and the 2-hour urgent response",
                    "parameters": [DATE],
                    "responses": _ok("the live day") | {"404": _ERR},
                }
            },
            "/api/versions/{version_id}/who-could-take/{vid}": {
                "get": {
                    "summary": "Who could take this visit (coordinator): qualified clinicians on "
                    "shift ranked best first, each with start, driving added, visits pushed, "
                    "and feasible or the rules it breaks. 422 for a double-handed visit",
                    "parameters": [VERSION, _path_param("vid", "visit id")],
                    "responses": _ok("the options") | {"404": _ERR, "422": _ERR},
                }
            },
            "/api/figures": {
                "get": {
                    "summary": "The ops lead's figures for a Monday–Sunday week, per day and "
                    "totals: visits planned and made, could-not-complete reasons, priority-1 on "
                    "time, travel, utilisation by role, continuity per visit (preferred kept) and "
                    "over the stay (stays: the share of each stay's visits by its patient's 2 "
                    "and 3 most frequent clinicians). A day with nothing "
                    "published has state imported or none and no figures (ops)",
                    "parameters": [
                        {
                            "name": "week",
                            "in": "query",
                            "required": False,
                            "description": "any day of the week, YYYY-MM-DD (default: today's)",
                            "schema": {"type": "string", "format": "date"},
                        }
                    ],
                    "responses": _ok("the week's figures") | {"400": _ERR},
                }
            },
            "/api/capacity": {
                "post": {
                    "summary": "Start a capacity sweep (ops): simulated days solved at each census "
                    "size and checked; or, with kind month, a simulated month (admissions, stays "
                    "and discharges, every day solved and checked); one run at a time (409 while "
                    "another is queued or running), 422 with every problem of the parameters in "
                    "reasons",
                    "parameters": [CSRF],
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "description": "a sweep needs sizes; a month (kind month) "
                                    "takes days, census, mean_stay_days, time_limit_s, "
                                    "p1_percent, placed_percent and scenario",
                                    "properties": {
                                        "kind": {
                                            "enum": ["sweep", "month"],
                                            "description": "default sweep",
                                        },
                                        "sizes": {
                                            "description": "census sizes (sweep; required)",
                                            "type": "array",
                                            "items": {
                                                "type": "integer",
                                                "minimum": 1,
                                                "maximum": 600,
                                            },
                                        },
                                        "seeds": {
                                            "type": "integer",
                                            "minimum": 1,
                                            "maximum": 10,
                                            "description": "simulated days per size (default 3)",
                                        },
                                        "time_limit_s": {
                                            "type": "number",
                                            "minimum": 1,
                                            "maximum": 120,
                                            "description": "search per day (default 30)",
                                        },
                                        "days": {
                                            "type": "integer",
                                            "minimum": 1,
                                            "maximum": 60,
                                            "description": "days to simulate (month; default 30)",
                                        },
                                        "census": {
                                            "type": "integer",
                                            "minimum": 1,
                                            "maximum": 600,
                                            "description": "target census (month; default 250)",
                                        },
                                        "mean_stay_days": {
                                            "type": "number",
                                            "minimum": 1,
                                            "maximum": 28,
                                            "description": "mean length of stay (month; default 6)",
                                        },
                                        "p1_percent": {
                                            "type": "number",
                                            "description": "default 100",
                                        },
                                        "placed_percent": {
                                            "type": "number",
                                            "description": "default 98",
                                        },
                                        "days_percent": {
                                            "type": "number",
                                            "description": "default 95 (sweep)",
                                        },
                                        "scenario": {
                                            "type": "string",
                                            "description": "scenario TOML "
                                            "(hah capacity scenario); default: sample",
                                        },
                                        "caseload": {
                                            "type": "boolean",
                                            "description": "the caseload model (default "
                                            "false): persistent staff, named nurses, regimen "
                                            "changes; results add continuity over the stays",
                                        },
                                        "caseload_days": {
                                            "type": "integer",
                                            "minimum": 1,
                                            "maximum": 28,
                                            "description": "sweep on the caseload model: days "
                                            "of a caseload month per seed (default 7)",
                                        },
                                        "continuity": {
                                            "enum": ["fixed", "learned"],
                                            "description": "on the caseload model: the named "
                                            "nurse (default) or learned from the days before",
                                        },
                                    },
                                }
                            }
                        },
                    },
                    "responses": _ok("run queued", "CapacityRun", "202")
                    | {"400": _ERR, "409": _ERR, "422": _ERR},
                }
            },
            "/api/capacity/{run_id}": {
                "get": {
                    "summary": "A capacity run: kind (sweep or month), state, days solved of "
                    "days asked for, and once it has ended its results. A sweep's: per census "
                    "(mean, lo/hi = 10th/90th percentile of p1_on_time, placed, travel_share, "
                    "utilisation per grade; days_ok; checker violations), the largest census "
                    "carried and the answer; on the caseload model per census on_ward and "
                    "continuity (top3_visits: visit-weighted top-3 share over the stays). "
                    "A month's: totals (visits, mean_census, "
                    "placed_rate, p1_on_time, days_ok, violations, …), rows (one a day: date, "
                    "weekday, census, admissions, discharges, visits, placed_rate, p1_on_time, "
                    "travel_share, solve_s, violations, …), the summary sentence and on the "
                    "caseload model continuity (ops)",
                    "parameters": [_path_param("run_id", "capacity run id", "integer")],
                    "responses": _ok("run", "CapacityRun") | {"404": _ERR},
                }
            },
            "/api/capacity/{run_id}/stop": {
                "post": {
                    "summary": "Stop a capacity run, keeping the days solved so far (ops); "
                    "409 once it has ended",
                    "parameters": [_path_param("run_id", "capacity run id", "integer"), CSRF],
                    "responses": _ok("stopping", "CapacityRun", "202") | {"404": _ERR, "409": _ERR},
                }
            },
            **caseload_paths(),
            **fhir_paths(),
        },
        "components": {
            "securitySchemes": {
                "session": {"type": "apiKey", "in": "cookie", "name": "hah_session"}
            },
            "schemas": {
                **caseload_schemas(),
                **fhir_schemas(),
                "Error": {
                    "type": "object",
                    "required": ["error"],
                    "properties": {
                        "error": {"type": "string"},
                        "reasons": {"type": "array", "items": {"type": "string"}},
                        "conflicts": {"type": "array", "items": {"type": "string"}},
                        "conflict": {"type": ["object", "null"]},
                    },
                },
                "User": {
                    "type": "object",
                    "properties": {
                        "username": {"type": "string"},
                        "role": {"type": "string"},
                        "clinician_id": {"type": ["string", "null"]},
                        "active": {"type": "boolean"},
                        "must_change_password": {"type": "boolean"},
                        "last_sign_in": {"type": ["string", "null"]},
                        "open_sessions": {"type": "integer"},
                    },
                },
                "Users": {
                    "type": "object",
                    "properties": {
                        "users": {"type": "array", "items": {"$ref": "#/components/schemas/User"}}
                    },
                },
                "UserAction": {
                    "type": "object",
                    "properties": {
                        "message": {"type": "string"},
                        "user": {"$ref": "#/components/schemas/User"},
                    },
                },
                "Me": {
                    "type": "object",
                    "properties": {
                        "username": {"type": "string"},
                        "role": {"type": "string"},
                        "clinician_id": {"type": ["string", "null"]},
                    },
                },
                "Days": {
                    "type": "object",
                    "properties": {
                        "days": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "properties": {
                                    "date": {"type": "string", "format": "date"},
                                    "visits": {"type": ["integer", "null"]},
                                    "patients": {"type": ["integer", "null"]},
                                    "shifts": {"type": ["integer", "null"]},
                                    "published_number": {"type": ["integer", "null"]},
                                },
                            },
                        }
                    },
                },
                "Day": {
                    "type": "object",
                    "properties": {
                        "date": {"type": "string", "format": "date"},
                        "import_id": {"type": ["integer", "null"]},
                        "purged_at": {"type": ["string", "null"], "description": "when "
                                      "retention minimised the import's files (UTC)"},
                        "versions": {"type": "array", "items": {"type": "object"}},
                        "jobs": {"type": "array", "items": {"$ref": "#/components/schemas/Job"}},
                    },
                },
                "Job": {
                    "type": "object",
                    "properties": {
                        "id": {"type": "integer"},
                        "state": {"enum": ["queued", "running", "done", "stopped", "failed"]},
                        "stop_requested": {"type": "boolean"},
                        "time_limit_s": {"type": "number"},
                        "elapsed_s": {"type": ["number", "null"]},
                        "seconds_left": {"type": ["number", "null"]},
                        "best_cost": {
                            "type": ["integer", "null"],
                            "description": "the search's objective (penalties + travel)",
                        },
                        "tasks_placed": {
                            "type": ["integer", "null"],
                            "description": "visit slots placed (a double-handed "
                            "visit is two slots)",
                        },
                        "tasks_total": {"type": ["integer", "null"]},
                        "rota_version_id": {"type": ["integer", "null"]},
                        "error": {"type": ["string", "null"]},
                        "stale": {"type": "boolean"},
                    },
                },
                "Event": {
                    "type": "object",
                    "properties": {
                        "id": {"type": "integer"},
                        "kind": {"enum": ["referral", "absent", "late", "cancel", "window",
                                          "shift", "replan"]},
                        "state": {"enum": ["queued", "running", "ready", "failed"]},
                        "url": {"type": "string", "description": "where to poll it"},
                        "error": {"type": ["string", "null"]},
                        "attempt": {"type": "integer"},
                        "at": {"type": "string", "description": "the service clock's time"},
                        "detail": {"type": "object"},
                        "base_version_id": {"type": ["integer", "null"]},
                        "seconds": {"type": "number",
                                    "description": "the worker's time to the proposals"},
                        "accepted": {"type": ["integer", "null"]},
                        "draft_version_id": {"type": ["integer", "null"]},
                        "proposals": {"type": "array", "items": {"type": "object"},
                                      "description": "empty until ready"},
                    },
                },
                "CapacityRun": {
                    "type": "object",
                    "properties": {
                        "id": {"type": "integer"},
                        "kind": {"enum": ["sweep", "month"]},
                        "state": {"enum": ["queued", "running", "done", "stopped", "failed"]},
                        "stop_requested": {"type": "boolean"},
                        "done": {"type": "integer", "description": "simulated days solved"},
                        "total": {"type": "integer"},
                        "percent": {"type": "number"},
                        "elapsed_s": {"type": ["number", "null"]},
                        "estimate_s_left": {"type": ["number", "null"]},
                        "error": {"type": ["string", "null"]},
                        "stale": {"type": "boolean"},
                        "params": {"type": "object"},
                        "results": {"type": ["object", "null"]},
                    },
                },
                "Version": {
                    "type": "object",
                    "properties": {
                        "id": {"type": "integer"},
                        "status": {"enum": ["draft", "published"]},
                        "number": {"type": ["integer", "null"]},
                        "rota": {"type": "object"},
                        "kpis": {"type": "object"},
                        "violation_list": {"type": "array", "items": {"type": "object"}},
                        "made_from": {"type": ["object", "null"]},
                        "already_published": {"type": "boolean"},
                    },
                },
                "Route": {
                    "type": "object",
                    "properties": {
                        "date": {"type": "string"},
                        "version": {"type": "integer"},
                        "route": {"type": "object"},
                    },
                },
                "Statuses": {
                    "type": "object",
                    "properties": {
                        "date": {"type": "string"},
                        "statuses": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "properties": {
                                    "visit_id": {"type": "string"},
                                    "clinician_id": {"type": "string"},
                                    "status": {"enum": ["arrived", "done", "not_completed"]},
                                    "reason": {"type": "string"},
                                    "at": {"type": "string"},
                                },
                            },
                        },
                    },
                },
            },
        },
        "security": [{"session": []}],
    }
