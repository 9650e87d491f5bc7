"""Problems in a FHIR bundle, named the way a trust's integration team finds them: the file,
the entry (its index in ``Bundle.entry`` and its ``ResourceType/id``) and the element's path
inside the resource, in plain words.

``BundleIssue`` is an ``InputIssue`` (so an ``InputError`` carries it to the command line and
the web app like a CSV's): ``row`` holds the entry's index and ``column`` the resource and
path (``ServiceRequest/sr-3 occurrenceTiming.repeat.period``); only ``str()`` reads
differently, ``bundle.json, entry[3], ServiceRequest/sr-3 occurrenceTiming.repeat.period: …``,
as FHIR tools number entries from 0.

``model_problems`` turns what the FHIR model (``fhir.resources``, pydantic) refuses into such
issues: one per refused element, never an exception.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from scheduler.domain.errors import InputIssue


class BundleIssue(InputIssue):
    """An ``InputIssue`` of a bundle: ``row`` is the entry's index (``None``: the bundle
    itself), ``column`` the resource and the element's path."""

    def __str__(self) -> str:
        where = [self.file]
        if self.row is not None:
            where.append(f"entry[{self.row}]")
        if self.column:
            where.append(self.column)
        return f"{', '.join(where)}: {self.message}"


def path_text(loc: Iterable[Any]) -> str:
    """A pydantic location as a FHIR path: ``('repeat', 'timeOfDay', 0)`` → ``repeat.timeOfDay[0]``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif isinstance(part, str) and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", part):
            out += f".{part}" if out else part
        # anything else is pydantic's own bookkeeping (a validator's name), not an element
    return out.replace("resource_type", "resourceType")


def _repr(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "…"


_KINDS = {dict: "an object", list: "an array", str: "a string", bool: "true/false",
          int: "a number", float: "a number", type(None): "null"}  # fmt: skip
_FORMATS = {
    "Date": "a date (YYYY, YYYY-MM or YYYY-MM-DD)",
    "DateTime": "a date-time (a date, or YYYY-MM-DDThh:mm:ss with its offset, e.g. 2026-11-23T08:00:00+00:00)",
    "Instant": "an instant (YYYY-MM-DDThh:mm:ss with its offset)",
    "Time": "a time of day (hh:mm:ss)",
    "Decimal": "a number",
    "Uri": "a URI",
    "Url": "a URL",
    "Code": "a code (no leading or trailing spaces)",
}


#: Resources whose values are personal (a birth date, a name, a postcode): their problems
#: say "the value" instead of repeating it, as an issue may be stored or shown on a page.
PERSONAL = ("Patient",)


def plain_words(error: dict[str, Any], resource_type: str) -> str:
    """One pydantic error of the FHIR model as a sentence (without the value, for a
    ``PERSONAL`` resource)."""
    kind, msg, value = error.get("type", ""), str(error.get("msg", "")), error.get("input")
    msg = msg.removeprefix("Value error, ")
    if resource_type in PERSONAL:
        msg = re.sub(r"\[?input_value=.*", "", msg)

    def _shown(value: Any) -> str:
        return "the value" if resource_type in PERSONAL else _repr(value)

    if kind == "missing" or re.match(r"Value for the field '\w+' is required", msg):
        return "is required"
    if kind == "extra_forbidden":
        return f"is not an element of {resource_type} in FHIR R4"
    if kind in ("json_invalid", "model_type", "dict_type", "model_attributes_type"):
        return f"should be an object, not {_KINDS.get(type(value), 'that')}"
    if kind == "list_type":
        return f"should be an array (a list), not {_KINDS.get(type(value), 'that')}"
    if kind == "string_type":
        return f"{_shown(value)} should be a string"
    if kind.startswith("int_") or kind == "int_type":
        return f"{_shown(value)} is not a whole number"
    if kind in ("bool_type", "bool_parsing"):
        return f"{_shown(value)} is not true or false"
    if kind == "greater_than_equal":
        return f"{_shown(value)} must be at least {error.get('ctx', {}).get('ge')}"
    if kind == "string_pattern_mismatch":
        return f"{_shown(value)} is not a FHIR id (letters, digits, '-' and '.')"
    if kind == "string_too_long":
        return f"{_shown(value)} is too long"
    found = re.match(r"(\w+) value string does not match spec regex", msg)
    if found:
        return f"{_shown(value)} is not {_FORMATS.get(found.group(1), 'valid FHIR ' + found.group(1))}"
    choice = re.match(r"Any of one field value is expected from this list \[(.*)\], but got multiple", msg)
    if choice:
        names = ", ".join(n.strip(" '") for n in choice.group(1).split(","))
        return f"give only one of {names}"
    return msg.strip().rstrip(".") or "is not valid FHIR R4"


def model_problems(
    error: Exception, file: str, index: int, label: str, resource_type: str
) -> list[BundleIssue]:
    """What the FHIR model refused in the resource of entry ``index`` (``label`` is its
    ``ResourceType/id``), one issue per element; an exception that is not a pydantic
    validation error (the model's own failure on strange input) is one issue on the whole."""
    errors = getattr(error, "errors", None)
    if not callable(errors):
        return [BundleIssue(file, index, label, f"is not a valid FHIR R4 {resource_type} (the FHIR model failed on it: {type(error).__name__})")]
    out: list[BundleIssue] = []
    for e in errors():
        path = path_text(e.get("loc", ()))
        out.append(BundleIssue(file, index, f"{label} {path}".strip(), plain_words(e, resource_type)))
    return out
