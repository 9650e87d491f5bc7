"""NHS numbers by their modulus-11 check digit: grouped or hyphenated input normalised to ten
digits, and every refusal in plain words that never repeat the number. The numbers are in
the 999 range the NHS keeps for testing (never issued to a patient)."""

from __future__ import annotations

import pytest

from scheduler.domain.nhs_number import Refused, check_digit, formatted, is_valid, normalise


def _with_check(first_nine: str) -> str:
    digit = check_digit(first_nine)
    assert digit is not None
    return first_nine + str(digit)


def test_the_check_digit_is_worked_out_as_the_data_dictionary_says():
    # 9*10 + 9*9 + 9*8 + 1*7 + 2*6 + 3*5 + 4*4 + 5*3 + 6*2 = 320; 320 % 11 = 1 -> 11 - 1 = 10
    assert check_digit("999123456") is None  # a check digit of 10: no such number
    # 9*10 + 9*9 + 9*8 + 0 + 0 + 0 + 0 + 0 + 1*2 = 245; 245 % 11 = 3 -> 8
    assert check_digit("999000001") == 8
    # 9*10 + 9*9 + 9*8 + 0... + 5*2 = 253 = 23 * 11 -> 11, read as 0
    assert check_digit("999000005") == 0


@pytest.mark.parametrize("text", ["9990000018", "999 000 0018", "999-000-0018", " 999 000-0018 "])
def test_a_valid_number_is_normalised_to_ten_digits(text):
    assert normalise(text) == "9990000018"
    assert is_valid(text)


def test_a_number_whose_check_digit_would_be_11_ends_in_0():
    assert normalise("9990000050") == "9990000050"


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("", "is empty"),
        ("  -  ", "is empty"),
        ("999000001", "has 9 digits; an NHS number has 10"),
        ("99900000180", "has 11 digits"),
        ("999 000 001B", "characters other than digits"),
        ("999.000.0018", "characters other than digits"),
        ("９９９０００００１８", "characters other than digits"),  # full-width digits
        ("9991234560", "check digit would be 10"),
        ("9990000017", "fails the NHS number check digit"),
    ],
)
def test_what_is_not_an_nhs_number_is_refused_in_words(text, words):
    result = normalise(text)
    assert isinstance(result, Refused)
    assert words in result.reason
    assert not is_valid(text)
    digits = "".join(c for c in text if c.isdigit())
    if len(digits) >= 6:
        assert digits not in result.reason  # the number itself is never repeated


def test_every_single_mistyped_digit_and_swap_of_neighbours_is_caught():
    """What the check digit is for: one wrong digit, or two neighbours swapped, never makes
    another valid number."""
    number = _with_check("999401234")
    for i in range(10):
        for d in "0123456789":
            typo = number[:i] + d + number[i + 1 :]
            if typo != number:
                assert not is_valid(typo), typo
    for i in range(9):
        swapped = number[:i] + number[i + 1] + number[i] + number[i + 2 :]
        if swapped != number:
            assert not is_valid(swapped), swapped


def test_formatted_groups_three_three_four():
    assert formatted("9990000018") == "999 000 0018"
