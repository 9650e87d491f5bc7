"""The caseload's part of the OpenAPI document (``web.openapi``): patients, their care plan,
discharge, and a day planned from the caseload (``web.caseload_api``); the roster its staff
come from (``web.roster_api``)."""

from __future__ import annotations

from typing import Any

_PROBLEMS = {"description": "refused: each field and why", "content": {"application/json": {
    "schema": {"$ref": "#/components/schemas/CaseloadError"}}}}  # fmt: skip
_ERR = {"description": "error", "content": {"application/json": {
    "schema": {"$ref": "#/components/schemas/Error"}}}}  # fmt: skip
_PID = {"name": "pid", "in": "path", "required": True, "schema": {"type": "string"},
        "description": "the service's patient id (as P0001)"}  # fmt: skip
_DATE = {"name": "date", "in": "path", "required": True, "schema": {"type": "string"},
         "description": "service day, YYYY-MM-DD"}  # fmt: skip
_CSRF = {"name": "X-CSRF-Token", "in": "header", "required": True, "schema": {"type": "string"},
         "description": "the session's CSRF token (meta tag csrf-token on every page)"}  # fmt: skip
_DATE_S = {"type": "string", "format": "date"}


def _body(properties: dict[str, Any], required: list[str] | None = None) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        schema["required"] = required
    return {"required": True, "content": {"application/json": {"schema": schema}}}


def _file_or_json(field: str) -> dict[str, Any]:
    """An upload the API takes either way: a multipart file ``field``, or a JSON body with
    the file's text as ``<field>_csv`` and its name as ``<field>_name``."""
    return {
        "required": True,
        "content": {
            "multipart/form-data": {"schema": {"type": "object", "properties": {
                field: {"type": "string", "format": "binary"}}}},
            "application/json": {"schema": {"type": "object", "properties": {
                f"{field}_csv": {"type": "string"}, f"{field}_name": {"type": "string"}}}},
        },
    }  # fmt: skip


def _ok(description: str, schema: str, status: str = "200") -> dict[str, Any]:
    return {status: {"description": description, "content": {"application/json": {
        "schema": {"$ref": f"#/components/schemas/{schema}"}}}},
        "400": _ERR, "401": _ERR, "403": _ERR, "404": _PROBLEMS}  # fmt: skip


_ITEM = {"$ref": "#/components/schemas/PlanItemIn"}


def paths() -> dict[str, Any]:
    return {
        "/api/patients": {
            "get": {
                "summary": "The caseload on a day (coordinator): each stay open that day or "
                "later, with the regimens active that day and those starting later. Audited as "
                "a read",
                "parameters": [
                    {
                        "name": "on",
                        "in": "query",
                        "required": False,
                        "schema": _DATE_S,
                        "description": "default today",
                    }
                ],
                "responses": _ok("the caseload", "Caseload"),
            },
            "post": {
                "summary": "Admit a patient with a first plan (coordinator): 201 with the "
                "record (Location: its URL); 422 with problems (each field and why: an NHS "
                "number whose check digit is wrong, 0,0 for a place, a plan item the "
                "careplans.csv rules refuse), 409 when already on the caseload, not yet "
                "discharged by admitted_on, or the NHS number is another patient's",
                "parameters": [_CSRF],
                "requestBody": _body(
                    {
                        **PATIENT_IN,
                        "admitted_on": _DATE_S,
                        "items": {"type": "array", "items": _ITEM},
                    },
                    ["patient_id", "lat", "lon"],
                ),
                "responses": _ok("admitted", "PatientRecord", "201")
                | {"409": _PROBLEMS, "422": _PROBLEMS},
            },
        },
        "/api/patients/{pid}": {
            "get": {
                "summary": "A patient's record (coordinator): details, every stay with its "
                "plan items and their history (replaces_id, replaced_by, end_reason), and "
                "their visits on the days planned with who makes each. Audited as a read",
                "parameters": [_PID],
                "responses": _ok("the record", "PatientRecord"),
            },
            "patch": {
                "summary": "Change a patient's details (coordinator): the fields sent (one "
                "sent empty or null is cleared; the patient id never changes), the rest kept, "
                "checked by the admission's rules. A new postcode without a new lat and lon "
                "places her again from HAH_POSTCODE_FILE (a district-centre fallback is in "
                "warnings). 200 with the record, changed (field names; empty when nothing "
                "changed) and already_planned (days from today imported with her visits: "
                "they keep the old details until planned again). Audited by field name. "
                "422 with problems (each field and why), 404 unknown patient, 409 the NHS "
                "number is another patient's, her personal details were purged, or the "
                "record changed while this was being written",
                "parameters": [_PID, _CSRF],
                "requestBody": _body({k: v for k, v in PATIENT_IN.items() if k != "patient_id"}),
                "responses": _ok("changed", "PatientChange") | {"409": _PROBLEMS, "422": _PROBLEMS},
            },
        },
        "/api/patients/{pid}/careplan": {
            "post": {
                "summary": "Change the plan (coordinator). action add: item (careplans.csv's "
                "columns; start_date default today) → 201. action change: item_id, from_date, "
                "changes (columns; one given empty is cleared): the old item ends the day "
                "before (withdrawn if it had not started) and a new one starts on from_date, "
                "replaces_id pointing back; a new antibiotic frequency without first_time "
                "keeps its interval from the last dose of the day before → 201. action stop: "
                "item_id, last_day → 200. 422 with problems, 404 for an item not of this stay, "
                "409 when not on the caseload or the item was changed or ended already",
                "parameters": [_PID, _CSRF],
                "requestBody": _body(
                    {
                        "action": {"enum": ["add", "change", "stop"]},
                        "item": _ITEM,
                        "item_id": {"type": "integer"},
                        "from_date": _DATE_S,
                        "last_day": _DATE_S,
                        "changes": _ITEM,
                    },
                    ["action"],
                ),
                "responses": _ok("changed", "PlanChange", "201")
                | {
                    "200": {
                        "description": "stopped",
                        "content": {
                            "application/json": {
                                "schema": {"$ref": "#/components/schemas/PlanChange"}
                            }
                        },
                    },
                    "409": _PROBLEMS,
                    "422": _PROBLEMS,
                },
            }
        },
        "/api/patients/{pid}/discharge": {
            "post": {
                "summary": "Discharge (coordinator): every regimen of the stay ends on "
                "discharged_on (default today; that day's visits still happen) and the stay "
                "closes. 409 when not on the caseload, 422 before the admission",
                "parameters": [_PID, _CSRF],
                "requestBody": _body({"discharged_on": _DATE_S, "note": {"type": "string"}}),
                "responses": _ok("discharged", "PatientRecord")
                | {"409": _PROBLEMS, "422": _PROBLEMS},
            }
        },
        "/api/days/{date}/plan-from-caseload": {
            "post": {
                "summary": "Plan a day from the caseload (coordinator): the visits of the "
                "regimens active that day, imported with the staff on shift as a day's files "
                "are (then POST …/jobs, publish). Staff: a multipart file clinicians "
                "(clinicians.csv), or JSON clinicians_csv (the text) and clinicians_name, or "
                "neither: the stored roster's staff that planning day (POST /api/roster; "
                "staff_from says which). 201 with the import; 422 with issues (file, row, "
                "column, message) when the staff file, the day or the caseload is refused, "
                "with problems (field clinicians) when no file is sent and the roster has "
                "nobody on shift that day",
                "parameters": [_DATE, _CSRF],
                "requestBody": _file_or_json("clinicians"),
                "responses": _ok("planned", "PlannedDay", "201") | {"422": _PROBLEMS},
            }
        },
        "/api/roster": {
            "post": {
                "summary": "Import the e-roster's export (coordinator; docs/formats.md, "
                "e-roster export): one row per duty over many days. The stored duties of "
                "every planning day from its first to its last date are replaced by the "
                "file's in one transaction (duties entered on the web included); rows of "
                "leave, sickness or study are skipped and counted. A multipart file roster, "
                "or JSON roster_csv (the text) and roster_name. 201 with what was stored; 422 "
                "with issues (file, row, column, message), nothing stored; 422 with problems "
                "when no file is sent",
                "parameters": [_CSRF],
                "requestBody": _file_or_json("roster"),
                "responses": _ok("imported", "RosterImport", "201") | {"422": _PROBLEMS},
            }
        },
        "/api/days/{date}/roster": {
            "get": {
                "summary": "A planning day's staff on shift in the stored roster "
                "(coordinator): each duty with its times (local, with offset), break, base, "
                "duty code and source (import or entered)",
                "parameters": [_DATE],
                "responses": _ok("the day's duties", "RosterDay"),
            },
            "post": {
                "summary": "Enter one duty on the planning day (coordinator): a bank nurse "
                "booked today. The export's columns (start and end HH:MM local; an end at or "
                "before the start is the next morning) and note; checked as a row of the "
                "export, and the duty must belong to this planning day. 201 with the duty; "
                "422 with problems, 409 when she has a duty that day or one it overlaps",
                "parameters": [_DATE, _CSRF],
                "requestBody": _body(DUTY_IN, ["staff_id", "name", "grade", "start", "end"]),
                "responses": _ok("entered", "RosterDutyOut", "201")
                | {"409": _PROBLEMS, "422": _PROBLEMS},
            },
        },
        "/api/days/{date}/roster/remove": {
            "post": {
                "summary": "Take one clinician's duty off the planning day (coordinator): "
                "200 with the duty removed; 404 when she has none that day. A day already "
                "planned keeps its files: plan it again to use the change",
                "parameters": [_DATE, _CSRF],
                "requestBody": _body({"staff_id": {"type": "string"}}, ["staff_id"]),
                "responses": _ok("removed", "RosterRemoved"),
            }
        },
    }


PATIENT_IN: dict[str, Any] = {
    "patient_id": {"type": "string", "description": "letters, digits, - _ ."},
    "nhs_number": {"type": "string", "description": "ten digits, check digit valid; optional"},
    "name": {"type": "string"}, "address": {"type": "string"},
    "postcode": {"type": "string", "description": "a UK postcode, stored as AL1 3HD"},
    "lat": {"type": "number"}, "lon": {"type": "number"},
    "access_notes": {"type": "string", "description": "key safe, dog…: go with each visit"},
    "risk_flags": {"type": "array", "items": {"type": "string"},
                   "description": "tags, as two_staff, no_lone_after_dark"},
    "excluded_clinicians": {"type": "array", "items": {"type": "string"}},
    "carer_gender": {"enum": ["F", "M", ""]},
    "preferred_clinician": {"type": ["string", "null"]},
}  # fmt: skip
_HM = {"type": "string", "description": "HH:MM, local time (Europe/London)"}
DUTY_IN: dict[str, Any] = {
    "staff_id": {"type": "string"}, "name": {"type": "string"},
    "grade": {"type": "string", "description": "HCA, RN5, RN6 or AP (another needs skills)"},
    "skills": {"type": "string", "description": "; separated; default: the grade's"},
    "gender": {"enum": ["F", "M", ""]}, "start": _HM, "end": _HM,
    "break_min": {"type": ["integer", "string"]}, "break_earliest": _HM, "break_latest": _HM,
    "base": {"type": "string"}, "base_lat": {"type": ["number", "string"]},
    "base_lon": {"type": ["number", "string"]},
    "base_postcode": {"type": "string", "description": "instead of base_lat and base_lon"},
    "duty_code": {"type": "string", "description": "a working duty's code (BANK…)"},
    "note": {"type": "string"},
}  # fmt: skip
_STAMP = {"type": ["string", "null"], "description": "local date-time with its offset"}
_COLUMNS = ("regimen", "frequency", "first_time", "tolerance_min", "duration_min", "run_hours",
            "line", "start_date", "end_date", "priority", "staff")  # fmt: skip


def schemas() -> dict[str, Any]:
    return {
        "CaseloadError": {
            "type": "object",
            "required": ["error"],
            "properties": {
                "error": {"type": "string"},
                "problems": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "field": {
                                "type": "string",
                                "description": "as items[0].frequency; "
                                "empty for the request as a whole",
                            },
                            "why": {"type": "string"},
                        },
                    },
                },
                "issues": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "file": {"type": "string"},
                            "row": {"type": ["integer", "null"]},
                            "column": {"type": ["string", "null"]},
                            "message": {"type": "string"},
                        },
                    },
                },
            },
        },
        "PlanItemIn": {
            "type": "object",
            "description": "careplans.csv's columns (docs/careplans.md)",
            "properties": {c: {"type": ["string", "number", "null"]} for c in _COLUMNS},
        },
        "PlanItem": {
            "type": "object",
            "properties": {
                **{c: {"type": ["string", "number", "null"]} for c in _COLUMNS},
                "id": {"type": "integer"},
                "replaces_id": {"type": ["integer", "null"]},
                "replaced_by": {"type": ["integer", "null"]},
                "end_reason": {"type": "string"},
                "summary": {"type": "string"},
                "active": {"type": "boolean", "description": "active today"},
            },
        },
        "PatientRecord": {
            "type": "object",
            "properties": {
                **PATIENT_IN,
                "on_caseload": {"type": "boolean"},
                "purged_at": {"type": ["string", "null"], "description": "when retention "
                              "removed the personal details after the last discharge (UTC)"},
                "stays": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "admission_id": {"type": "integer"},
                            "admitted_on": _DATE_S,
                            "discharged_on": {"type": ["string", "null"]},
                            "discharge_note": {"type": "string"},
                            "items": {
                                "type": "array",
                                "items": {"$ref": "#/components/schemas/PlanItem"},
                            },
                        },
                    },
                },
                "planned": {
                    "type": "array",
                    "description": "GET only",
                    "items": {
                        "type": "object",
                        "properties": {
                            "date": _DATE_S,
                            "version": {"type": ["string", "null"]},
                            "visits": {"type": "array", "items": {"type": "object"}},
                        },
                    },
                },
            },
        },
        "PatientChange": {
            "allOf": [
                {"$ref": "#/components/schemas/PatientRecord"},
                {
                    "type": "object",
                    "properties": {
                        "changed": {"type": "array", "items": {"type": "string"},
                                    "description": "the fields changed, by name"},
                        "warnings": {"type": "array", "items": {"type": "string"}},
                        "already_planned": {"type": "array", "items": _DATE_S},
                    },
                },
            ]
        },
        "PlanChange": {
            "type": "object",
            "properties": {
                "item": {"$ref": "#/components/schemas/PlanItem"},
                "patient": {"$ref": "#/components/schemas/PatientRecord"},
            },
        },
        "Caseload": {
            "type": "object",
            "properties": {
                "on": _DATE_S,
                "patients": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "patient_id": {"type": "string"},
                            "name": {"type": "string"},
                            "postcode": {"type": "string"},
                            "admitted_on": _DATE_S,
                            "discharged_on": {"type": ["string", "null"]},
                            "regimens": {"type": "array", "items": {"type": "string"}},
                            "starting_later": {"type": "array", "items": {"type": "object"}},
                        },
                    },
                },
            },
        },
        "PlannedDay": {
            "type": "object",
            "properties": {
                "date": _DATE_S,
                "import_id": {"type": "integer"},
                "visits": {"type": "integer"},
                "patients": {"type": "integer"},
                "shifts": {"type": "integer"},
                "visits_name": {"type": "string"},
                "clinicians_name": {"type": "string", "description": "roster-<date>.csv when "
                                    "the staff came from the stored roster"},
                "staff_from": {"enum": ["file", "roster"]},
                "day_url": {"type": "string"},
            },
        },
        "RosterDuty": {
            "type": "object",
            "properties": {
                "day": _DATE_S, "staff_id": {"type": "string"}, "name": {"type": "string"},
                "grade": {"type": "string"},
                "skills": {"type": "array", "items": {"type": "string"}},
                "gender": {"type": "string"}, "start": _STAMP, "end": _STAMP,
                "label": {"type": "string", "description": "HH:MM–HH:MM, local"},
                "break_min": {"type": "integer"}, "break_earliest": _STAMP,
                "break_latest": _STAMP, "base": {"type": "string"},
                "base_lat": {"type": "number"}, "base_lon": {"type": "number"},
                "duty_code": {"type": "string"}, "source": {"enum": ["import", "entered"]},
                "note": {"type": "string"}, "import_id": {"type": ["integer", "null"]},
            },
        },
        "RosterDay": {
            "type": "object",
            "properties": {
                "date": _DATE_S,
                "count": {"type": "integer"},
                "duties": {"type": "array", "items": {"$ref": "#/components/schemas/RosterDuty"}},
            },
        },
        "RosterDutyOut": {
            "type": "object",
            "properties": {"duty": {"$ref": "#/components/schemas/RosterDuty"}},
        },
        "RosterRemoved": {
            "type": "object",
            "properties": {"removed": {"$ref": "#/components/schemas/RosterDuty"}},
        },
        "RosterImport": {
            "type": "object",
            "properties": {
                "import_id": {"type": "integer"}, "file": {"type": "string"},
                "first": _DATE_S, "last": _DATE_S, "duties": {"type": "integer"},
                "skipped_rows": {"type": "integer"},
                "skipped": {"type": "object", "description": "rows skipped per duty code",
                            "additionalProperties": {"type": "integer"}},
                "replaced": {"type": "integer"}, "replaced_entered": {"type": "integer"},
                "days": {"type": "object", "description": "duties stored per planning day",
                         "additionalProperties": {"type": "integer"}},
                "warnings": {"type": "array", "items": {"type": "object"}},
                "message": {"type": "string"},
            },
        },
    }
