"""The NHS number's check digit (Modulus 11), for the caseload's forms and imports.

A stand-in: ``scheduler.domain.nhs_number`` (another branch of issue 14) is where this
belongs; once it is on main, ``web.services.caseload_input`` imports ``nhs_number_problem``
from there and this module goes.

An NHS number is ten digits, the last a check digit: the first nine weighted 10, 9, …, 2 and
summed; eleven minus the sum's remainder modulo 11 is the check digit (11 counts as 0; 10
means no valid number has those nine digits). Spaces and hyphens, as letters print it
(``943 476 5919``), are ignored.
"""

from __future__ import annotations


def normalise(text: str) -> str:
    """The digits of ``text`` with the spaces and hyphens people write taken out."""
    return "".join(ch for ch in (text or "") if ch not in " -\t")


def nhs_number_problem(text: str) -> str | None:
    """Why ``text`` is not an NHS number, or ``None`` when it is one."""
    digits = normalise(text)
    if len(digits) != 10 or not digits.isascii() or not digits.isdigit():
        return f"{text!r} is not an NHS number: it has ten digits (as 943 476 5919)"
    check = 11 - sum(int(d) * w for d, w in zip(digits[:9], range(10, 1, -1), strict=True)) % 11
    if check == 11:
        check = 0
    if check == 10 or check != int(digits[9]):
        return f"{text!r} is not an NHS number: its check digit is wrong (a digit mistyped?)"
    return None
