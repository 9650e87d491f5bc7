"""A FHIR bundle's envelope: the JSON read, the entries indexed, references resolved.

What the resources *mean* is ``patients`` and ``plans``; this module only knows that a bundle
is a JSON object with ``resourceType`` ``Bundle`` and a list of entries, each (maybe) with a
``fullUrl`` and a ``resource``, and that a reference names another entry as
``ResourceType/id``, by its ``fullUrl`` (``urn:uuid:…`` in a bundle made for transport), or
by an absolute URL that ends in ``ResourceType/id``. Each resource of the types read is
validated on its own with the FHIR R4 model (``fhir.resources``), so that one bad resource
is reported with its entry and the others are still read and cross-checked.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scheduler.domain.errors import InputIssue
from scheduler.domain.formats.fhir.issues import BundleIssue, model_problems, path_text, plain_words
from scheduler.domain.formats.tabular import CsvSource, Source, read_source

#: A bundle larger than this is refused before it is parsed: 250 patients' caseload is about
#: 1 MB; this leaves room for a trust's whole virtual ward and then some.
MAX_BUNDLE_BYTES = 64 * 1024 * 1024
#: The longest resource id FHIR allows (and so the longest patient id a bundle gives).
MAX_ID_CHARS = 64
#: The resource types read; every other entry (an Organization, a Practitioner…) is skipped.
READ_TYPES = ("Patient", "CarePlan", "ServiceRequest")


@dataclass(eq=False)
class Entry:
    """One entry of a resource type the reader reads, validated (``model`` is ``None`` when
    the FHIR model refused it; its problems are already reported)."""

    index: int
    resource_type: str
    id: str | None
    full_url: str | None
    model: Any

    @property
    def label(self) -> str:
        """``ServiceRequest/sr-3``, as issues name the resource."""
        return f"{self.resource_type}/{self.id}" if self.id else f"{self.resource_type} (no id)"

    @property
    def key(self) -> str:
        return f"{self.resource_type}/{self.id}" if self.id else f"#{self.index}"


@dataclass
class Bundle:
    """The entries of the types read, by their ``ResourceType/id`` and their ``fullUrl``;
    ``issues`` collects every problem (``complain``)."""

    file: str
    entries: list[Entry] = field(default_factory=list)
    issues: list[InputIssue] = field(default_factory=list)
    _by_ref: dict[str, Entry] = field(default_factory=dict)

    def complain(self, entry: Entry | None, path: str, message: str) -> None:
        """A problem at ``path`` (``occurrenceTiming.repeat.period``) of ``entry``'s resource,
        or of the bundle itself when ``entry`` is ``None``."""
        if entry is None:
            self.issues.append(BundleIssue(self.file, None, f"Bundle {path}".strip(), message))
        else:
            column = f"{entry.label} {path}".strip()
            self.issues.append(BundleIssue(self.file, entry.index, column, message))

    def of_type(self, resource_type: str) -> list[Entry]:
        return [e for e in self.entries if e.resource_type == resource_type]

    def resolve(self, reference: str | None) -> Entry | None:
        """The entry a reference names, or ``None`` (not in the bundle)."""
        if not reference:
            return None
        if reference in self._by_ref:
            return self._by_ref[reference]
        parts = reference.rstrip("/").split("/")
        if len(parts) >= 2:
            # An absolute URL, maybe with a version (…/Patient/p1/_history/2).
            if len(parts) >= 4 and parts[-2] == "_history":
                parts = parts[:-2]
            return self._by_ref.get(f"{parts[-2]}/{parts[-1]}")
        return None

    def _index(self, entry: Entry) -> None:
        for ref in (entry.key if entry.id else None, entry.full_url):
            if ref and ref not in self._by_ref:
                self._by_ref[ref] = entry


def _model_class(resource_type: str) -> Any:
    from fhir.resources.R4B import get_fhir_model_class

    return get_fhir_model_class(resource_type)


def _validate(resource_type: str, resource: dict, bundle: Bundle, entry: Entry) -> Any:
    try:
        return _model_class(resource_type).model_validate(resource)
    except Exception as exc:  # the model's ValidationError, or its own KeyError on odd input
        bundle.issues.extend(model_problems(exc, bundle.file, entry.index, entry.label, resource_type))
        return None


def _json(source: Source, issues: list[InputIssue]) -> tuple[str, Any] | None:
    loaded = read_source(source, issues)
    if loaded is None:
        return None
    name = loaded.name
    if len(loaded.data) > MAX_BUNDLE_BYTES:
        issues.append(BundleIssue(name, None, None, f"is {len(loaded.data):,} bytes; a bundle holds at most {MAX_BUNDLE_BYTES:,}"))
        return None
    try:
        text = loaded.data.decode("utf-8-sig")
    except UnicodeDecodeError:
        issues.append(BundleIssue(name, None, None, "is not UTF-8 text (FHIR JSON is UTF-8)"))
        return None
    if not text.strip():
        issues.append(BundleIssue(name, None, None, "the file is empty"))
        return None
    try:
        return name, json.loads(text, parse_constant=_no_constant)
    except json.JSONDecodeError as exc:
        issues.append(BundleIssue(name, None, None, f"is not JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}"))
    except RecursionError:
        issues.append(BundleIssue(name, None, None, "is not JSON a reader can take: nested too deeply"))
    except ValueError as exc:  # NaN/Infinity (not JSON), a number of over 4,300 digits
        issues.append(BundleIssue(name, None, None, f"is not JSON a reader can take: {exc}"))
    return None


def _no_constant(word: str) -> float:
    """Python's JSON reader takes ``NaN`` and ``Infinity``; JSON (and so FHIR) has neither."""
    raise ValueError(f"{word} is not a JSON value")


def load(source: Source) -> Bundle:
    """The bundle in ``source`` (a path, or a ``CsvSource``: bytes and the name problems are
    reported under), its entries of ``READ_TYPES`` validated and indexed. Never raises for
    bad input: everything wrong is in ``Bundle.issues`` (an unreadable file leaves no
    entries)."""
    issues: list[InputIssue] = []
    parsed = _json(source, issues)
    if parsed is None:
        name = source.name if isinstance(source, CsvSource) else Path(source).name
        return Bundle(name, issues=issues)
    name, data = parsed
    bundle = Bundle(name, issues=issues)
    if not isinstance(data, dict):
        bundle.complain(None, "", "is not a FHIR resource (a JSON object with a resourceType)")
        return bundle
    if data.get("resourceType") != "Bundle":
        found = data.get("resourceType")
        what = f"a {found}" if isinstance(found, str) else "not a FHIR resource"
        bundle.complain(None, "resourceType", f"is {what}; a Bundle of Patient, CarePlan and ServiceRequest resources is read")
        return bundle
    raw_entries = data.get("entry", [])
    if not isinstance(raw_entries, list):
        bundle.complain(None, "entry", "should be an array of entries")
        return bundle
    _envelope(data, raw_entries, bundle)
    if not raw_entries:
        bundle.complain(None, "entry", "the bundle has no entries")
    seen: dict[str, int] = {}
    for index, raw in enumerate(raw_entries):
        if not isinstance(raw, dict) or not isinstance(raw.get("resource"), dict):
            continue  # reported by the envelope's check
        resource = raw["resource"]
        resource_type = resource.get("resourceType")
        if resource_type not in READ_TYPES:
            continue
        rid = resource.get("id") if isinstance(resource.get("id"), str) else None
        full_url = raw.get("fullUrl") if isinstance(raw.get("fullUrl"), str) else None
        if rid is None and full_url and full_url.startswith("urn:uuid:"):
            rid = full_url.removeprefix("urn:uuid:")  # a transport bundle's resource has no id yet
        entry = Entry(index, resource_type, rid, full_url, None)
        if rid is None:
            bundle.complain(entry, "id", "is required: the resource id is how the service names it (or a urn:uuid: fullUrl)")
        elif len(rid) > MAX_ID_CHARS:
            bundle.complain(entry, "id", f"is {len(rid)} characters long; a FHIR id has at most {MAX_ID_CHARS}")
        if entry.id and entry.key in seen:
            bundle.complain(entry, "id", f"{entry.key} repeats entry[{seen[entry.key]}]")
            continue
        if entry.id:
            seen[entry.key] = index
        nul = _nul_path(resource)
        if nul is not None:  # FHIR strings hold no control characters; a database no NUL
            bundle.complain(entry, nul, "holds a NUL character (\\u0000), which no FHIR string may")
        else:
            entry.model = _validate(resource_type, resource, bundle, entry)
        bundle.entries.append(entry)
        bundle._index(entry)
    return bundle


def _nul_path(resource: dict) -> str | None:
    """The path of the first element (or element name) holding a NUL character, if any:
    the FHIR model takes one in a string, and PostgreSQL cannot store it."""
    stack: list[tuple[Any, tuple[Any, ...]]] = [(resource, ())]
    while stack:
        value, loc = stack.pop()
        if isinstance(value, str):
            if "\x00" in value:
                return path_text(loc)
        elif isinstance(value, dict):
            for key, child in value.items():
                if isinstance(key, str) and "\x00" in key:
                    return path_text(loc)
                stack.append((child, (*loc, key)))
        elif isinstance(value, list):
            stack.extend((child, (*loc, i)) for i, child in enumerate(value))
    return None


def _envelope(data: dict, raw_entries: list, bundle: Bundle) -> None:
    """The bundle's own elements (``type``, each entry's ``fullUrl``…) by the FHIR model,
    with the resources left out: those are validated one by one."""
    for index, raw in enumerate(raw_entries):
        if not isinstance(raw, dict):
            bundle.issues.append(BundleIssue(bundle.file, index, None, "should be an object with a resource"))
        elif "resource" in raw and not isinstance(raw["resource"], dict):
            bundle.issues.append(BundleIssue(bundle.file, index, "resource", "should be an object (a FHIR resource)"))
    shell = {k: v for k, v in data.items() if k != "entry"}
    if raw_entries:  # an entry that is not an object stands in as an empty one: same indexes
        shell["entry"] = [
            {k: v for k, v in raw.items() if k != "resource"} if isinstance(raw, dict) else {}
            for raw in raw_entries
        ]
    try:
        _model_class("Bundle").model_validate(shell)
    except Exception as exc:
        errors = getattr(exc, "errors", None)
        if not callable(errors):
            bundle.complain(None, "", f"is not a valid FHIR R4 Bundle ({type(exc).__name__})")
            return
        for e in errors():
            loc = tuple(e.get("loc", ()))
            if loc[:1] == ("entry",) and len(loc) >= 2 and isinstance(loc[1], int):
                column = path_text(loc[2:]) or None
                bundle.issues.append(BundleIssue(bundle.file, loc[1], column, plain_words(e, "Bundle.entry")))
            else:
                bundle.complain(None, path_text(loc), plain_words(e, "Bundle"))
