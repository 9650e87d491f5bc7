"""Accounts (``web.services.users``): the password policy wherever a password is set, and a
sign-in that takes as long for an unknown username as for a real one."""

from __future__ import annotations

import statistics
import time
from importlib.resources import files

import pytest

from scheduler.cli import main
from tests.support.web import PASSWORD
from web.services import users as users_service
from web.services.users import (
    MIN_LENGTH,
    UserError,
    authenticate,
    common_passwords,
    create_user,
    password_problems,
)

REFUSED = [
    "password", "aaaaaaaa", "short", "aaaaaaaaaaaa", "AAAAaaaaAAAA", "password1234",
    "Password123!", "P@ssw0rd2024!", "qwertyuiop12", "2024sunflower!!", "abcdefghijklm",
    "123456789012", "0987654321098", "iloveyou1234", "Welcome12345", "hospitalathome",
    "Liverpool1892", "nurse-sam-route-42",  # contains the username
]  # fmt: skip
ACCEPTED = [PASSWORD, "a long password", "tidal oboe lantern", "Vq8#mZ2!rT9w", "x" * 11 + "y"]


@pytest.mark.parametrize("password", REFUSED)
def test_the_policy_refuses_weak_passwords(password):
    assert password_problems(password, "nurse-sam"), password


@pytest.mark.parametrize("password", ACCEPTED)
def test_the_policy_accepts_long_uncommon_passwords(password):
    assert password_problems(password, "nurse-sam") == []


def test_every_reason_is_given_at_once():
    problems = password_problems("aaaa", "x")
    assert any(f"at least {MIN_LENGTH}" in p for p in problems)
    assert any("one character repeated" in p for p in problems)


def test_the_known_bad_list_ships_in_the_package():
    shipped = files("web.services") / "data" / "common_passwords.txt"
    assert shipped.is_file()
    words = common_passwords()
    assert {"password", "qwerty", "123456", "letmein"} <= words and len(words) > 200
    assert PASSWORD not in words


def test_create_user_applies_the_policy(db):
    for weak in ("password", "aaaaaaaa", "Password123!"):
        with pytest.raises(UserError, match="password"):
            create_user(db, "weak", weak, "ops")


def test_hah_users_add_refuses_a_weak_password(db_url, monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", db_url)
    for weak in ("password", "aaaaaaaa"):
        monkeypatch.setenv("HAH_NEW_PASSWORD", weak)
        assert main(["users", "add", "ann", "--role", "ops",
                     "--password-env", "HAH_NEW_PASSWORD"]) == 2  # fmt: skip
        assert "not added" in capsys.readouterr().err


# -- sign-in timing --------------------------------------------------------------------------


def test_an_unknown_username_is_checked_against_a_hash_of_the_configured_kind(db, monkeypatch):
    """The dummy hash was a 1,000-round PBKDF2 while accounts are scrypt: 12 ms against 148."""
    checked: list[str] = []
    real = users_service.check_password_hash

    def spy(pwhash: str, password: str) -> bool:
        checked.append(pwhash.split("$")[0])
        return real(pwhash, password)

    monkeypatch.setattr(users_service, "check_password_hash", spy)
    create_user(db, "real", PASSWORD, "ops")  # scrypt, the default
    db.commit()
    authenticate(db, "real", "a wrong guess", "10.0.0.1")
    authenticate(db, "nobody-by-that-name", "a wrong guess", "10.0.0.1")
    assert checked[0].startswith("scrypt") and checked[1] == checked[0]
    checked.clear()
    authenticate(db, "nobody", "x", "10.0.0.1", hash_method="pbkdf2:sha256:600000")
    assert checked == ["pbkdf2:sha256:600000"]


def test_sign_in_takes_as_long_for_an_unknown_username(db):
    """Medians of a few scrypt checks each: an unknown name within a factor of two of a real
    one (it was 12 ms against 148 ms, a factor of twelve)."""
    create_user(db, "real", PASSWORD, "ops")
    db.commit()

    def median_ms(username: str) -> float:
        times = []
        for i in range(7):
            t0 = time.perf_counter()
            authenticate(db, username, f"guess {i}", "10.0.0.2", max_failures=100,
                         max_failures_per_ip=100)  # fmt: skip
            times.append((time.perf_counter() - t0) * 1000)
        db.rollback()
        return statistics.median(times)

    median_ms("nobody")  # the dummy hash is made once, on first use
    known, unknown = median_ms("real"), median_ms("nobody")
    assert 0.5 < unknown / known < 2.0, (known, unknown)


def test_the_per_account_limit_counts_one_username_over_every_address(db, users):
    """``max_failures_per_account``: failures for one username from many addresses add up,
    where the per-address limits each see one failure (a botnet guessing one account)."""
    from web.services.users import LOGIN_LIMITED, authenticate

    for n in range(4):
        result = authenticate(db, "nurse", "wrong guess", f"127.0.2.{n}", max_failures_per_account=4)
        assert result.error != LOGIN_LIMITED
    db.commit()
    result = authenticate(db, "nurse", "correct horse battery", "127.0.2.200",
                          max_failures_per_account=4)  # fmt: skip
    assert result.user is None and result.limited_by == "username"
    assert authenticate(db, "nurse2", "correct horse battery", "127.0.2.200",
                        max_failures_per_account=4).user is not None  # fmt: skip
