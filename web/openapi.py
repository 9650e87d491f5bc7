"""The API's OpenAPI 3.1 document, written by hand so it says what the routes promise.

A test compares its paths with the app's ``/api`` routes, so a route cannot be added or
removed without this document following.
"""

from __future__ import annotations

from typing import Any

_ERR = {"description": "error", "content": {"application/json": {
    "schema": {"$ref": "#/components/schemas/Error"}}}}  # fmt: skip


def _ok(description: str, schema: str | None = None, status: str = "200") -> dict[str, Any]:
    body: dict[str, Any] = {"description": description}
    if schema:
        ref = {"$ref": f"#/components/schemas/{schema}"}
        body["content"] = {"application/json": {"schema": ref}}
    return {status: body, "401": _ERR, "403": _ERR}


def _path_param(name: str, description: str, kind: str = "string") -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "description": description,
            "schema": {"type": kind}}  # fmt: skip


DATE = _path_param("date", "service day, YYYY-MM-DD")
JOB = _path_param("job_id", "solve job id", "integer")
VERSION = _path_param("version_id", "rota version id", "integer")
CID = _path_param("cid", "clinician id (a nurse may only ask for her own)")
CSRF = {"name": "X-CSRF-Token", "in": "header", "required": True,
        "description": "the session's CSRF token (meta tag csrf-token on every page)",
        "schema": {"type": "string"}}  # fmt: skip


def document() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Hospital at Home scheduling API",
            "version": "0.1.0",
            "description": "Session-cookie auth (sign in at /auth/login); roles coordinator, "
            "nurse, ops, admin (admin may do everything). Every POST needs X-CSRF-Token.",
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
                    "summary": "Publish a draft as the day's next numbered version; refused (409, "
                    "with reasons) when the independent checker finds any violation",
                    "parameters": [VERSION, CSRF],
                    "responses": _ok("published", "Version") | {"404": _ERR, "409": _ERR},
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
            "/api/days/{date}/statuses": {
                "get": {
                    "summary": "Nurses' latest reports per visit (coordinator, ops)",
                    "parameters": [DATE],
                    "responses": _ok("statuses", "Statuses") | {"404": _ERR},
                }
            },
        },
        "components": {
            "securitySchemes": {
                "session": {"type": "apiKey", "in": "cookie", "name": "hah_session"}
            },
            "schemas": {
                "Error": {
                    "type": "object",
                    "required": ["error"],
                    "properties": {
                        "error": {"type": "string"},
                        "reasons": {"type": "array", "items": {"type": "string"}},
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
                "Version": {
                    "type": "object",
                    "properties": {
                        "id": {"type": "integer"},
                        "status": {"enum": ["draft", "published"]},
                        "number": {"type": ["integer", "null"]},
                        "rota": {"type": "object"},
                        "kpis": {"type": "object"},
                        "violation_list": {"type": "array", "items": {"type": "object"}},
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
