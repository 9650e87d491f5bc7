"""NHS numbers: ten digits, the last a modulus-11 check digit (NHS Data Dictionary).

A private copy for the FHIR reader until the caseload's own validator
(``scheduler/domain/nhs_number.py``, not on main yet) lands; then this module should go and
its callers import that one.

The check: multiply the first nine digits by 10, 9, …, 2, add them up, take the remainder on
dividing by 11, and subtract it from 11; 11 becomes 0, and a result of 10 means the nine
digits have no valid NHS number. Numbers starting 999 are the range NHS England sets aside for
tests (never issued to a person), which is where the synthetic bundles draw theirs from.
"""

from __future__ import annotations

WEIGHTS = (10, 9, 8, 7, 6, 5, 4, 3, 2)


def check_digit(first_nine: str) -> int | None:
    """The check digit for nine digits, or ``None`` when no valid number starts with them."""
    total = sum(int(d) * w for d, w in zip(first_nine, WEIGHTS, strict=True))
    digit = 11 - total % 11
    if digit == 11:
        return 0
    return None if digit == 10 else digit


def normalise(text: str) -> str:
    """The number as ten digits: the spaces and hyphens people write it with
    (``943 476 5919``, ``943-476-5919``) taken out; anything else is left for ``problem``."""
    return "".join(c for c in text.strip() if c not in " -")


def problem(text: str) -> str | None:
    """Why ``text`` is not an NHS number, in plain words that do not repeat it (a message
    may be stored or shown); ``None`` when it is one."""
    digits = normalise(text)
    if len(digits) != 10 or not digits.isascii() or not digits.isdigit():
        return "is not an NHS number: an NHS number is ten digits (e.g. 943 476 5919)"
    expected = check_digit(digits[:9])
    if expected is None or expected != int(digits[9]):
        return "is not a valid NHS number: its check digit is wrong (a typing error?)"
    return None


def is_valid(text: str) -> bool:
    return problem(text) is None
