"""The FHIR part of the OpenAPI document (``web.openapi``): a bundle into the caseload and a
published day out as ``Appointment`` resources (``web.fhir_api``)."""

from __future__ import annotations

from typing import Any

_ERR = {
    "description": "error",
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
}
_REFUSED = {
    "description": "refused: every problem of the bundle, by entry and element",
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/CaseloadError"}}},
}
_CSRF = {
    "name": "X-CSRF-Token",
    "in": "header",
    "required": True,
    "schema": {"type": "string"},
    "description": "the session's CSRF token (meta tag csrf-token on every page)",
}
_FHIR = {
    "type": "object",
    "description": 'a FHIR R4 Bundle (JSON), see docs/formats.md, "FHIR bundles"',
    "properties": {"resourceType": {"const": "Bundle"}},
}


def paths() -> dict[str, Any]:
    return {
        "/api/caseload/import-fhir": {
            "post": {
                "summary": "Import a FHIR R4 bundle into the caseload (coordinator), all or "
                "nothing: its Patient, CarePlan and ServiceRequest resources read as "
                "docs/formats.md says, each patient admitted with the items of her active "
                "plans, from `on` (default today) or her earliest item's start. A patient whose "
                "address has no geolocation is placed from her postcode by HAH_POSTCODE_FILE "
                "(a district-centre fallback in `warnings`). Send the bundle as the body "
                "(application/fhir+json or application/json; `on` in the query) or as a "
                "multipart file `bundle` (`on` a form field). 201 with who was admitted; 422 "
                "with `issues` (file; row: the entry's index; column: the resource and "
                "element path; message), nothing stored, also for a patient already on the "
                "caseload or an NHS number another patient holds; more patients than "
                "HAH_MAX_VISITS (or ten times as many requests) is refused unread",
                "parameters": [
                    {
                        "name": "on",
                        "in": "query",
                        "required": False,
                        "schema": {"type": "string", "format": "date"},
                    },
                    _CSRF,
                ],
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/fhir+json": {"schema": _FHIR},
                        "application/json": {"schema": _FHIR},
                        "multipart/form-data": {
                            "schema": {
                                "type": "object",
                                "properties": {
                                    "bundle": {"type": "string", "format": "binary"},
                                    "on": {"type": "string", "format": "date"},
                                },
                            }
                        },
                    },
                },
                "responses": {
                    "201": {
                        "description": "admitted",
                        "content": {
                            "application/json": {
                                "schema": {"$ref": "#/components/schemas/FhirImport"}
                            }
                        },
                    },
                    "401": _ERR,
                    "403": _ERR,
                    "413": _ERR,
                    "422": _REFUSED,
                },
            }
        },
        "/api/days/{date}/appointments.fhir.json": {
            "get": {
                "summary": "A day's published rota as a FHIR R4 Bundle (collection) of "
                "Appointment resources (coordinator), a download: one booked Appointment per "
                "placed visit, its patient (by the service's patient id, with her NHS number "
                "from the caseload when she is on it) and every clinician who makes it as "
                "participants, times with their offset; unplaced visits, breaks and access "
                "notes are left out. The latest published version, or `version` (a published "
                "number). Audited as a read of patient data. 404 while nothing is published",
                "parameters": [
                    {
                        "name": "date",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "string"},
                        "description": "service day, YYYY-MM-DD",
                    },
                    {
                        "name": "version",
                        "in": "query",
                        "required": False,
                        "schema": {"type": "integer"},
                        "description": "a published version's number",
                    },
                ],
                "responses": {
                    "200": {
                        "description": "the Appointments",
                        "content": {"application/fhir+json": {"schema": _FHIR}},
                    },
                    "400": _ERR,
                    "401": _ERR,
                    "403": _ERR,
                    "404": _ERR,
                },
            }
        },
    }


def schemas() -> dict[str, Any]:
    issue = {
        "type": "object",
        "properties": {
            "file": {"type": "string"},
            "row": {"type": ["integer", "null"]},
            "column": {"type": ["string", "null"]},
            "message": {"type": "string"},
            "text": {"type": "string", "description": "file, entry[N], Resource/id path: message"},
        },
    }
    return {
        "FhirImport": {
            "type": "object",
            "properties": {
                "on": {"type": "string", "format": "date"},
                "patients": {"type": "integer"},
                "plan_items": {"type": "integer"},
                "admitted": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "patient_id": {"type": "string"},
                            "admitted_on": {"type": "string", "format": "date"},
                        },
                    },
                },
                "warnings": {"type": "array", "items": issue},
            },
        },
    }
