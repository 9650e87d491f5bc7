"""What the browser tests share: Debian's Chromium through Playwright, a console that fails
the test on any error (a Content-Security-Policy violation shows there first), and signing in
through the real form.

Playwright cannot download browsers here, so ``chromium`` launches ``/usr/bin/chromium`` with
the flags a sandboxed CI machine needs (``tests.support.web.CHROMIUM_ARGS``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from tests.support.web import CHROMIUM, CHROMIUM_ARGS, PASSWORD


@contextmanager
def chromium() -> Iterator:
    """A headless Chromium for one test (``browser`` fixture in tests/web/conftest.py)."""
    import playwright.sync_api as playwright_api

    with playwright_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


def watch(page, timeout_ms: int | None = None) -> list[str]:
    """The page's console errors and uncaught exceptions, collected as they happen (the test
    asserts the list is empty); ``timeout_ms`` lengthens Playwright's waits for pages that
    wait on a re-plan."""
    if timeout_ms is not None:
        page.set_default_timeout(timeout_ms)
        page.set_default_navigation_timeout(timeout_ms)
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    return errors


def sign_in(page, base: str, username: str, password: str = PASSWORD) -> None:
    """Sign in through the sign-in form, as a person would, and wait for the page after it."""
    page.goto(f"{base}/auth/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_load_state()
