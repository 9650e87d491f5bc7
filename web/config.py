"""Settings for the web app and its workers, read from the environment so that one build runs
anywhere.

Only what differs between a laptop, CI and the trust's server lives here: where the database
is (``DATABASE_URL``), the signing key (``SECRET_KEY``), the map tile server
(``HAH_TILE_URL``; none by default, because NHS networks often block tile servers and the
routes must still be drawn from coordinates alone), where the job queue is and how jobs run,
the limits on a day's size, and how the service is served and observed. Every variable read
here is in docs/web.md's settings table, and every variable there is read here (a test holds
the two together).
"""

from __future__ import annotations

import os
import secrets
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
    if value is None or not value.strip():
        return default
    return value.strip().lower() in ("1", "true", "yes", "on")


def _int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


def _env_float(name: str, default: float) -> float:
    value = os.environ.get(name, "").strip()
    return float(value) if value else default


#: Retention's defaults (docs/web.md, "Retention"): days after the service day a day's
#: uploaded files keep their personal data, and days after discharge a patient's record does.
RETAIN_UPLOADS_DAYS = 30
RETAIN_DISCHARGED_DAYS = 30


#: The shortest retention period: yesterday's night shift is still on the road this morning.
MIN_RETAIN_DAYS = 2


def retain_days(name: str, value: str | None, default: int) -> int | None:
    """A retention period in whole days (``default`` when unset); ``off`` keeps that data for
    good (None). Anything else is refused, naming the setting, rather than guessed at: a
    typo here must neither purge a live day nor never purge."""
    text = (value or "").strip().lower()
    if not text:
        return default
    if text == "off":
        return None
    if not text.isdigit() or int(text) < MIN_RETAIN_DAYS:
        raise ValueError(f"{name}={value!r}: give a whole number of days, at least "
                         f"{MIN_RETAIN_DAYS} (yesterday's night shift is still live), or off")
    return int(text)


def retention(config: dict | None = None):
    """The retention periods (``web.services.retention.Retention``), from an app's
    configuration or, for a worker or the command line, the environment."""
    from web.services.retention import Retention

    if config is None:
        config = from_env({"SECRET_KEY": "unused"})
    return Retention(config["HAH_RETAIN_UPLOADS_DAYS"], config["HAH_RETAIN_DISCHARGED_DAYS"])


def default_database_url(instance_dir: Path | None = None) -> str:
    return f"sqlite:///{(instance_dir or INSTANCE_DIR) / 'hah.sqlite3'}"


def queue_settings(config: dict | None = None):
    """Where the job queue is (``HAH_REDIS_URL``, ``HAH_QUEUE_PREFIX``), from an app's
    configuration or, for a worker, the environment."""
    from web.services.runners import QueueSettings

    if config is None:
        config = {
            "HAH_REDIS_URL": os.environ.get("HAH_REDIS_URL", DEFAULT_REDIS_URL),
            "HAH_QUEUE_PREFIX": os.environ.get("HAH_QUEUE_PREFIX", "hah"),
        }
    return QueueSettings(config["HAH_REDIS_URL"], config["HAH_QUEUE_PREFIX"])


DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"


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
        "DATABASE_URL": os.environ.get("DATABASE_URL") or default_database_url(instance_dir),
        "HAH_TILE_URL": os.environ.get("HAH_TILE_URL", ""),
        "HAH_TILE_ATTRIBUTION": os.environ.get("HAH_TILE_ATTRIBUTION", ""),
        # the trust's postcode file: patients admitted by postcode are placed from it, offline
        "HAH_POSTCODE_FILE": os.environ.get("HAH_POSTCODE_FILE", ""),
        "HAH_POSTCODE_DISTRICTS": os.environ.get("HAH_POSTCODE_DISTRICTS", ""),
        "HAH_POSTCODE_AREAS": os.environ.get("HAH_POSTCODE_AREAS", ""),
        # "queue" keeps the solver out of the web processes (on Redis, run by `hah worker`
        # processes here or on other machines); "thread" is for tests and a one-process demo.
        "HAH_JOB_RUNNER": os.environ.get("HAH_JOB_RUNNER", "queue"),
        "HAH_REDIS_URL": os.environ.get("HAH_REDIS_URL", DEFAULT_REDIS_URL),
        "HAH_QUEUE_PREFIX": os.environ.get("HAH_QUEUE_PREFIX", "hah"),
        # Capacity sweeps: the worker's process pool, or a Ray cluster ("local" starts one on
        # the worker's machine), as `hah capacity sweep --workers N | --ray ADDRESS`.
        "HAH_CAPACITY_WORKERS": _int("HAH_CAPACITY_WORKERS", 1),
        "HAH_RAY_ADDRESS": os.environ.get("HAH_RAY_ADDRESS", ""),
        # The largest day an import may hold: far above a real day (the sample has 1,070
        # visits and 52 shifts), far below what would make a solve or a board unusable.
        "HAH_MAX_VISITS": _int("HAH_MAX_VISITS", 5000),
        "HAH_MAX_SHIFTS": _int("HAH_MAX_SHIFTS", 500),
        # /metrics: open to loopback, else only with "Authorization: Bearer <token>".
        "HAH_METRICS_TOKEN": os.environ.get("HAH_METRICS_TOKEN", ""),
        "HAH_SOLVE_SECONDS": float(os.environ.get("HAH_SOLVE_SECONDS", "30")),
        "HAH_MAX_SOLVE_SECONDS": float(os.environ.get("HAH_MAX_SOLVE_SECONDS", "600")),
        # A live-day event's proposals are worked out by a worker; the request that took it
        # waits this long for them (answering with them if ready, else "working out"), so a
        # quick answer needs no second round trip and a slow one never holds a web thread.
        "HAH_EVENT_WAIT_S": float(os.environ.get("HAH_EVENT_WAIT_S", "4")),
        # The nurse page shows "today"; a fixed date lets a demo or test show the sample day.
        "HAH_TODAY": os.environ.get("HAH_TODAY", ""),
        # The service clock of the live day (``web.services.clock``): fixed for a demo or test.
        "HAH_NOW": os.environ.get("HAH_NOW", ""),
        "HAH_MIGRATE": _flag("HAH_MIGRATE", True),
        # Retention (web.services.retention): personal data in a day's uploaded files, and in
        # a discharged patient's record, is purged this many days after (None: kept).
        "HAH_RETAIN_UPLOADS_DAYS": retain_days(
            "HAH_RETAIN_UPLOADS_DAYS", os.environ.get("HAH_RETAIN_UPLOADS_DAYS"),
            RETAIN_UPLOADS_DAYS),
        "HAH_RETAIN_DISCHARGED_DAYS": retain_days(
            "HAH_RETAIN_DISCHARGED_DAYS", os.environ.get("HAH_RETAIN_DISCHARGED_DAYS"),
            RETAIN_DISCHARGED_DAYS),
        "LOGIN_MAX_FAILURES": int(os.environ.get("HAH_LOGIN_MAX_FAILURES", "5")),
        "LOGIN_WINDOW_S": int(os.environ.get("HAH_LOGIN_WINDOW_S", "300")),
        # Failures from one address over all usernames: password spraying (a few guesses at
        # many accounts) is stopped by this, not by the per-username limit above.
        "LOGIN_MAX_FAILURES_PER_IP": int(os.environ.get("HAH_LOGIN_MAX_FAILURES_PER_IP", "20")),
        # Failures for one username from all addresses together: guessing spread over many
        # addresses (a botnet) at one account. High, because reaching it locks that account
        # out for the window whoever is guessing.
        "LOGIN_MAX_FAILURES_PER_ACCOUNT": _int("HAH_LOGIN_MAX_FAILURES_PER_ACCOUNT", 50),
        "PASSWORD_HASH_METHOD": os.environ.get("HAH_PASSWORD_HASH_METHOD") or "scrypt",
        # Behind a reverse proxy, how many proxies set X-Forwarded-For/-Proto/-Host: without
        # it every request seems to come from the proxy and the sign-in limit would lock out
        # everyone at once. 0 (direct) trusts no forwarded header, so a client cannot forge
        # its address.
        "HAH_PROXY_HOPS": int(os.environ.get("HAH_PROXY_HOPS", "0")),
        # Single sign-on (web/oidc.py): an OpenID provider's issuer URL turns it on; the
        # client is registered with the provider by the trust (NHS CIS2 or its own).
        "HAH_OIDC_ISSUER": os.environ.get("HAH_OIDC_ISSUER", "").strip(),
        "HAH_OIDC_CLIENT_ID": os.environ.get("HAH_OIDC_CLIENT_ID", ""),
        "HAH_OIDC_CLIENT_SECRET": os.environ.get("HAH_OIDC_CLIENT_SECRET", ""),
        "HAH_OIDC_NAME": os.environ.get("HAH_OIDC_NAME") or "single sign-on",
        "HAH_OIDC_SCOPES": os.environ.get("HAH_OIDC_SCOPES") or "openid profile email",
        # The claim whose value, at an identity's first sign-in, names the local account to
        # link it to; empty: only identities an admin linked (`hah users link-oidc`) sign in.
        "HAH_OIDC_USERNAME_CLAIM": os.environ.get("HAH_OIDC_USERNAME_CLAIM", "").strip(),
        "MAX_CONTENT_LENGTH": 20 * 1024 * 1024,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": _flag("HAH_SECURE_COOKIES", not testing),
        "SESSION_COOKIE_NAME": "hah_session",
        # Server-side sessions (web.sessions): the absolute end from sign-in, and the idle
        # timeout (60 minutes: a home visit plus the drive to the next one, so a nurse on her
        # round is not signed out between patients; a phone left unlocked is open an hour at
        # most). Activity is recorded at most once a minute.
        "HAH_SESSION_ABSOLUTE_H": _env_float("HAH_SESSION_ABSOLUTE_H", 12.0),
        "HAH_SESSION_IDLE_MIN": _env_float("HAH_SESSION_IDLE_MIN", 60.0),
        "TESTING": testing,
    }
    config.update(overrides)
    if "SECRET_KEY" not in config:
        config["SECRET_KEY"] = _secret_key(instance_dir)
    return config
