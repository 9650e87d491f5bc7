"""The trust's postcode file for the web app: patients admitted by postcode are placed offline.

``HAH_POSTCODE_FILE`` names an ONS Postcode Directory or Code-Point Open CSV on the server
(``scheduler.domain.geocode``), ``HAH_POSTCODE_DISTRICTS`` an optional district-centroid file,
``HAH_POSTCODE_AREAS`` the postcode areas to keep (``AL,SG,HP,WD,EN,CM``: the national file is
2.7 million rows; the trust's area a few thousand). The file is read once per process and read
again only when it changes on disk (its size and modification time), so a trust replacing it
with the quarterly release needs no restart. No postcode or address leaves the machine.
"""

from __future__ import annotations

import os
from pathlib import Path

from flask import current_app

from scheduler.domain.geocode import Gazetteer, PostcodeError
from web.services.memo import ProcessCache

_LOADED: ProcessCache[Gazetteer] = ProcessCache(2)


class PostcodeFileError(RuntimeError):
    """The configured postcode file cannot be read (missing, or in neither format)."""


def gazetteer() -> Gazetteer | None:
    """The configured postcode file's gazetteer, or ``None`` when none is configured;
    raises ``PostcodeFileError`` naming the setting when it is configured but unusable."""
    path = current_app.config.get("HAH_POSTCODE_FILE", "")
    if not path:
        return None
    districts = current_app.config.get("HAH_POSTCODE_DISTRICTS", "") or None
    areas = [a.strip().upper() for a in current_app.config.get("HAH_POSTCODE_AREAS", "").split(",")
             if a.strip()]  # fmt: skip
    try:
        stamp = tuple((os.stat(p).st_size, os.stat(p).st_mtime_ns) for p in (path, districts) if p)
    except OSError as exc:
        raise PostcodeFileError(f"HAH_POSTCODE_FILE: {Path(exc.filename or path).name}: "
                                f"{exc.strerror}") from exc  # fmt: skip
    key = (path, districts, tuple(areas), stamp)
    try:
        return _LOADED.get_or_make(
            key, lambda: Gazetteer.from_file(path, districts_file=districts, areas=areas or None)
        )
    except PostcodeError as exc:
        raise PostcodeFileError(f"HAH_POSTCODE_FILE: {exc}") from exc


def gazetteer_or_none() -> Gazetteer | None:
    """``gazetteer()``, or ``None`` with the setting's problem logged (it names a file, never
    a patient): a patient given by postcode is then refused, saying a postcode file is needed,
    and one given by lat and lon is admitted as before."""
    try:
        return gazetteer()
    except PostcodeFileError as exc:
        current_app.logger.error("postcode file unusable: %s", exc)
        return None
