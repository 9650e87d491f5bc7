"""The cells of a patient's preferences and risks, as visits.csv, clinicians.csv and
patients.csv carry them (``docs/formats.md``, ``docs/careplans.md``).

Shared by ``formats.day`` and ``careplan`` so that a gender, a list of excluded clinicians or
a risk flag reads the same in every file. Each parser takes what people type in a
spreadsheet or a trust export (``female``, ``f``; ``No lone after dark``) and gives the
domain's form (``F``; ``no_lone_after_dark``). It does not judge: a value it cannot read is
passed on as written, and the domain's own rules (``model.gender_problems``,
``model.flag_problems``, through ``visit_problems``/``shift_problems``) say what is wrong with
it, in the same words whichever file it came from.
"""

from __future__ import annotations

import re

from scheduler.domain.model import GENDERS

#: What a gender cell may say, case aside: the letter or the word.
_GENDER_WORDS = {**{g: g for g in GENDERS}, **{w.upper(): g for g, w in GENDERS.items()}}
_SEPARATORS = re.compile(r"[\s\-]+")


def _items(value: str) -> list[str]:
    return [x.strip() for x in value.replace(",", ";").split(";") if x.strip()]


def gender(value: str) -> str:
    """``F``, ``M`` or ``""`` from ``F``/``M``/``female``/``male`` in any case; anything else
    as written (for ``gender_problems`` to refuse)."""
    value = value.strip()
    return _GENDER_WORDS.get(value.upper(), value)


def id_list(value: str) -> frozenset[str]:
    """Clinician ids separated by ``;`` (or ``,`` inside a quoted cell), kept as written."""
    return frozenset(_items(value))


def flags(value: str) -> frozenset[str]:
    """Risk flags separated by ``;`` (or ``,``), in any case, words joined by ``_``, ``-`` or
    spaces (``No lone after dark`` is ``no_lone_after_dark``); an unknown one is kept (for
    ``flag_problems`` to name)."""
    return frozenset(_SEPARATORS.sub("_", x.lower()) for x in _items(value))


def weighted_ids(value: str) -> tuple[tuple[str, float], ...] | str:
    """``C1:0.8;C2:0.5`` → ``(("C1", 0.8), ("C2", 0.5))``, in the order written; a cell it
    cannot read gives the reason instead (``visit_problems`` judges the weights)."""
    out = []
    for item in _items(value):
        cid, sep, weight = item.rpartition(":")
        if not sep or not cid.strip():
            return f"{item!r} is not clinician:weight (as C12:0.8)"
        try:
            out.append((cid.strip(), float(weight)))
        except ValueError:
            return f"{item!r}: {weight!r} is not a number"
    return tuple(out)


def format_weighted(pairs: tuple[tuple[str, float], ...]) -> str:
    """What ``weighted_ids`` reads back: ``C1:0.8;C2:0.5``."""
    return ";".join(f"{cid}:{weight:.3g}" for cid, weight in pairs)
