"""Settings for the web app, read from the environment so that one build runs anywhere.

Only what differs between a laptop, CI and the trust's server lives here: where the database
is (``DATABASE_URL``), the signing key (``SECRET_KEY``), the map tile server
(``HAH_TILE_URL``; none by default, because NHS networks often block tile servers and the
routes must still be drawn from coordinates alone) and how solve jobs run.
"""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

#: Where a default SQLite database and a generated secret key are kept (gitignored).
INSTANCE_DIR = Path(__file__).resolve().parent.parent / "instance"


def _secret_key(instance_dir: Path) -> str:
    """``SECRET_KEY`` from the environment, else one generated once and kept in instance/.

    A key generated per start would log everyone out at every restart and break sessions
    across worker processes, so an unset key is made once and stored with mode 0600.
    """
    key = os.environ.get("SECRET_KEY")
    if key:
        return key
    path = instance_dir / "secret_key"
    if path.exists():
        return path.read_text(encoding="utf-8").strip()
    instance_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    path.write_text(key, encoding="utf-8")
    path.chmod(0o600)
    return key


def _flag(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in ("1", "true", "yes", "on")


def tile_origin(tile_url: str) -> str | None:
    """``https://host`` of a tile URL template, for the Content-Security-Policy's img-src."""
    if not tile_url:
        return None
    parts = urlsplit(tile_url.replace("{s}", "a"))
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    host = parts.netloc.replace("a.", "*.", 1) if "{s}" in tile_url else parts.netloc
    return f"{parts.scheme}://{host}"


def from_env(overrides: dict | None = None) -> dict:
    """The app's configuration: defaults, then the environment, then ``overrides``."""
    overrides = dict(overrides or {})
    instance_dir = Path(overrides.get("INSTANCE_DIR") or INSTANCE_DIR)
    testing = bool(overrides.get("TESTING", False))
    config = {
        "INSTANCE_DIR": instance_dir,
        "DATABASE_URL": os.environ.get("DATABASE_URL")
        or f"sqlite:///{instance_dir / 'hah.sqlite3'}",
        "HAH_TILE_URL": os.environ.get("HAH_TILE_URL", ""),
        "HAH_TILE_ATTRIBUTION": os.environ.get("HAH_TILE_ATTRIBUTION", ""),
        # "process" keeps the solver out of the web process (a crash or hundreds of MB of
        # search memory never take the site down); "thread" is for a single-process demo.
        "HAH_JOB_RUNNER": os.environ.get("HAH_JOB_RUNNER", "process"),
        "HAH_SOLVE_SECONDS": float(os.environ.get("HAH_SOLVE_SECONDS", "30")),
        "HAH_MAX_SOLVE_SECONDS": float(os.environ.get("HAH_MAX_SOLVE_SECONDS", "600")),
        # The nurse page shows "today"; a fixed date lets a demo or test show the sample day.
        "HAH_TODAY": os.environ.get("HAH_TODAY", ""),
        # The service clock of the live day (``web.services.clock``): fixed for a demo or test.
        "HAH_NOW": os.environ.get("HAH_NOW", ""),
        "HAH_MIGRATE": _flag("HAH_MIGRATE", True),
        "LOGIN_MAX_FAILURES": int(os.environ.get("HAH_LOGIN_MAX_FAILURES", "5")),
        "LOGIN_WINDOW_S": int(os.environ.get("HAH_LOGIN_WINDOW_S", "300")),
        # Failures from one address over all usernames: password spraying (a few guesses at
        # many accounts) is stopped by this, not by the per-username limit above.
        "LOGIN_MAX_FAILURES_PER_IP": int(os.environ.get("HAH_LOGIN_MAX_FAILURES_PER_IP", "20")),
        "PASSWORD_HASH_METHOD": os.environ.get("HAH_PASSWORD_HASH_METHOD", "scrypt"),
        # Behind a reverse proxy, how many proxies set X-Forwarded-For/-Proto/-Host: without
        # it every request seems to come from the proxy and the sign-in limit would lock out
        # everyone at once. 0 (direct) trusts no forwarded header, so a client cannot forge
        # its address.
        "HAH_PROXY_HOPS": int(os.environ.get("HAH_PROXY_HOPS", "0")),
        "MAX_CONTENT_LENGTH": 20 * 1024 * 1024,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": _flag("HAH_SECURE_COOKIES", not testing),
        "SESSION_COOKIE_NAME": "hah_session",
        "PERMANENT_SESSION_LIFETIME": timedelta(hours=12),
        "TESTING": testing,
    }
    config.update(overrides)
    if "SECRET_KEY" not in config:
        config["SECRET_KEY"] = _secret_key(instance_dir)
    return config
