"""Every answer well-formed: bad input gets a 4xx, as JSON under ``/api/``, never a 500.

- **Ids in URLs** (``<int:…>``) are bounded to the database's signed 64-bit integers: a
  larger one names nothing (404) instead of overflowing the driver (it was a 500).
- **JSON bodies** are parsed strictly (no ``NaN`` or ``Infinity``), at most ``MAX_JSON_BYTES``
  (413) and ``MAX_JSON_DEPTH`` levels deep (400; Python's parser raised ``RecursionError``,
  which Flask does not count as bad JSON). ``json_object()`` is what a view reads: the
  body's object, ``{}`` when there is no body, 400 for anything else (a JSON string, a list).
- **NUL characters** in a URL, query or form field, or anywhere in a JSON body, are a 400
  (PostgreSQL refuses to store them: a 500 in the audit log's insert).
- **Errors**: under ``/api/`` every HTTP error is ``{"error": "…"}`` with its status (the
  blueprints' own handlers covered only 403 and 404 raised inside their views, not 405,
  413, a URL no route matches, or a 500); elsewhere a short page (``error.html``).
"""

from __future__ import annotations

import json
from typing import Any

from flask import Flask, current_app, jsonify, render_template, request
from flask.json.provider import DefaultJSONProvider
from werkzeug.exceptions import BadRequest, HTTPException, RequestEntityTooLarge
from werkzeug.routing import IntegerConverter

#: The largest id a URL can name: the database's ``INTEGER``/``BIGINT`` primary keys.
MAX_ID = 2**63 - 1
MAX_JSON_DEPTH = 32
MAX_JSON_BYTES = 1024 * 1024  # the largest body the API takes (a capacity scenario: a few KB)


class IdConverter(IntegerConverter):
    """``<int:…>`` that refuses (no route matches: 404) what no database id can be."""

    def __init__(self, map, fixed_digits=0, min=None, max=None, signed=False) -> None:
        super().__init__(map, fixed_digits, min, MAX_ID if max is None else max, signed)


def valid_id(value: Any) -> int | None:
    """``value`` (a query-string or form value) as an id a row could have, else ``None``."""
    text = str(value).strip() if value is not None else ""
    if not text.isdigit() or not text.isascii() or len(text) > 19:
        return None
    number = int(text)
    return number if 0 < number <= MAX_ID else None


def _depth(value: Any) -> int:
    """How deeply ``value`` nests lists and objects (iteratively: no recursion to exhaust)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        deepest = max(deepest, level)
        if deepest > MAX_JSON_DEPTH:
            return deepest
        stack.extend((child, level + 1) for child in children)
    return deepest


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


class StrictJSON(DefaultJSONProvider):
    """The app's JSON: what ``request.get_json`` parses with. Anything it refuses is a
    ``ValueError``, which Flask answers as a bad request (or ``None`` when silent)."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        kwargs.setdefault("parse_constant", _no_constant)
        try:
            value = json.loads(s, **kwargs)
        except RecursionError:
            raise ValueError(f"nested more than {MAX_JSON_DEPTH} levels deep") from None
        if _depth(value) > MAX_JSON_DEPTH:
            raise ValueError(f"nested more than {MAX_JSON_DEPTH} levels deep")
        return value


def json_object() -> dict[str, Any]:
    """The request's JSON object: ``{}`` when the body is empty, else 400 unless it is one
    (413 above ``MAX_JSON_BYTES``). What the API's views read instead of
    ``request.get_json(silent=True) or {}``, which took a JSON string for a body and failed
    on ``.get`` (a 500)."""
    if request.content_length is not None and request.content_length > MAX_JSON_BYTES:
        raise RequestEntityTooLarge(f"a JSON body is at most {MAX_JSON_BYTES // 1024} KiB")
    data = request.get_data(cache=True)
    if len(data) > MAX_JSON_BYTES:
        raise RequestEntityTooLarge(f"a JSON body is at most {MAX_JSON_BYTES // 1024} KiB")
    if not data.strip():
        return {}
    try:
        body = current_app.json.loads(data)
    except ValueError as err:  # UnicodeDecodeError and json's JSONDecodeError are ValueErrors
        raise BadRequest(f"the body is not JSON: {err}") from None
    if not isinstance(body, dict):
        raise BadRequest(f"send a JSON object ({{…}}), not a {type(body).__name__}")
    if _has_nul(body):
        raise BadRequest("a NUL character (\\u0000) is not allowed in any field")
    return body


def _has_nul(value: Any) -> bool:
    """Whether a NUL character hides anywhere in a parsed JSON value (keys included)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def _refuse_nul() -> None:
    """No text a person types holds a NUL character; PostgreSQL cannot store one (it was a
    500), so a URL, query string or form field with one is refused up front (400). Uploaded
    files are the readers' business (``formats.tabular`` refuses such a cell by row and
    column)."""
    texts = [*request.view_args.values()] if request.view_args else []
    texts += [v for _, v in request.args.items(multi=True)]
    if request.method in ("POST", "PUT", "PATCH") and not request.is_json:
        texts += [v for _, v in request.form.items(multi=True)]
    if any("\x00" in str(t) for t in texts):
        raise BadRequest("a NUL character (\\0) is not allowed in any field")


def _message(err: HTTPException) -> str:
    """The error's own description when a view gave one, else its name (``not found``)."""
    own = err.description if err.description != type(err).description else None
    return own or err.name.lower()


def _wants_json() -> bool:
    return request.path.startswith("/api/")


def init_errors(app: Flask) -> None:
    """Bounded ids, strict JSON and the error answers; before any blueprint is registered
    (a rule binds its converters when it is added)."""
    app.url_map.converters["int"] = IdConverter
    app.json = StrictJSON(app)

    @app.before_request
    def _no_nul():
        if request.endpoint != "static":
            _refuse_nul()

    @app.errorhandler(HTTPException)
    def _http_error(err: HTTPException):
        if err.code is None or err.code < 400:
            return err  # redirects raised as exceptions (``RequestRedirect``) pass through
        if _wants_json():
            response = jsonify(error=_message(err))
            response.status_code = err.code
            allowed = getattr(err, "valid_methods", None)  # a 405 says what is allowed
            if allowed:
                response.headers["Allow"] = ", ".join(allowed)
            return response
        if err.code >= 500:
            return err
        page = render_template("error.html", code=err.code, name=err.name,
                               message=err.description)  # fmt: skip
        return page, err.code
