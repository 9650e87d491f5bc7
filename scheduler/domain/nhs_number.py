"""NHS numbers: ten digits, the last a modulus-11 check digit.

The NHS Data Dictionary's rule: multiply each of the first nine digits by a weight from 10
down to 2, add the products, and take the remainder on division by 11; the check digit is 11
minus that remainder, with 11 read as 0. A remainder of 1 would need a check digit of 10:
no NHS number is issued with those first nine digits, so such a number is refused outright.
The check catches every single mistyped digit and every swap of two neighbouring digits,
which is why a number is checked before it is trusted to link a referral to a record.

People write the number grouped 3-3-4 (``943 476 5919``) or with hyphens; both are taken and
normalised to the ten digits. Reasons never repeat the number (they end up in logs and
on screens; the row they came from is enough to find it).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_GROUPING = re.compile(r"[\s\-]+")
WEIGHTS = (10, 9, 8, 7, 6, 5, 4, 3, 2)


@dataclass(frozen=True)
class Refused:
    """Why a text is not an NHS number, in plain words (the number itself not repeated)."""

    reason: str


def check_digit(first_nine: str) -> int | None:
    """The check digit of nine digits, or ``None`` when it would be 10 (no such number)."""
    total = sum(int(d) * w for d, w in zip(first_nine, WEIGHTS, strict=True))
    digit = 11 - total % 11
    if digit == 11:
        return 0
    return None if digit == 10 else digit


def normalise(text: str) -> str | Refused:
    """The NHS number in ``text`` as its ten digits, or why it is not one."""
    digits = _GROUPING.sub("", text)
    if not digits:
        return Refused("is empty")
    if not digits.isascii() or not digits.isdigit():
        return Refused("has characters other than digits, spaces and hyphens")
    if len(digits) != 10:
        return Refused(f"has {len(digits)} digits; an NHS number has 10")
    expected = check_digit(digits[:9])
    if expected is None:
        return Refused("is not an NHS number: no number is issued with these first nine "
                       "digits (their check digit would be 10)")  # fmt: skip
    if int(digits[9]) != expected:
        return Refused("fails the NHS number check digit: a digit is mistyped, or two are "
                       "swapped")  # fmt: skip
    return digits


def is_valid(text: str) -> bool:
    return not isinstance(normalise(text), Refused)


def formatted(number: str) -> str:
    """Ten digits as people read them: ``943 476 5919``."""
    return f"{number[:3]} {number[3:6]} {number[6:]}"
