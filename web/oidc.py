"""Single sign-on through OpenID Connect: ``/auth/oidc/login`` and ``/auth/oidc/callback``.

A trust plugs in its identity provider (NHS CIS2, or its own) with ``HAH_OIDC_ISSUER`` and the
client it registered there; empty, these routes answer 404 and the sign-in page shows no
button. Authlib's Flask client does the protocol: the provider's metadata from
``<issuer>/.well-known/openid-configuration``, the authorization code flow with PKCE (S256),
``state`` and ``nonce`` kept in the session, the code exchanged for tokens over a back
channel, and the ID token checked: its signature against the provider's JWKS, ``iss``
(the configured issuer, which the metadata must also name), ``aud`` (this client), ``exp``,
``iat`` and the ``nonce``. Only then is the identity (``iss``, ``sub``) matched to a local
account by ``web.services.oidc_accounts`` (never an account made: admins make accounts and
roles stay local), and a session begun by ``web.auth.begin_session`` as for a password.

Every way it can fail ends on the sign-in page with a message and a 4xx (502 when the
provider cannot be reached or names another issuer), audited as ``login_failed`` with a
reason that holds no token, code or secret. Authlib logs the PKCE verifier at DEBUG, so its
logger is kept at INFO or above whatever ``HAH_LOG_LEVEL`` says.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from authlib.integrations.base_client.errors import MismatchingStateError
from authlib.integrations.flask_client import OAuth, OAuthError
from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.blueprints import BlueprintSetupState
from joserfc.errors import JoseError
from sqlalchemy.exc import IntegrityError

from web.auth import _safe_next, begin_session, home_url
from web.security import client_ip, current_user, db_session, public
from web.services import audit
from web.services.oidc_accounts import match_identity

bp = Blueprint("oidc", __name__, url_prefix="/auth/oidc")

EXTENSION = "hah_oidc"
#: Seconds to wait for the provider's metadata, token and key endpoints.
PROVIDER_TIMEOUT_S = 10
#: Clock skew allowed on ``exp`` and ``iat`` (Authlib's default is two minutes).
LEEWAY_S = 60
_NEXT = "oidc_next"
_ERROR_CODE = re.compile(r"[a-z_]{1,40}")


class ProviderUnusable(Exception):
    """The provider's metadata could not be had, or names an issuer other than the one
    configured (OpenID Connect Discovery requires them to be the same)."""


def configured(app: Flask) -> bool:
    return app.extensions.get(EXTENSION) is not None


@bp.record_once
def _init(state: BlueprintSetupState) -> None:
    """Register the provider's client when the blueprint is, if ``HAH_OIDC_ISSUER`` is set."""
    app = state.app
    authlib_log = logging.getLogger("authlib")
    if authlib_log.getEffectiveLevel() < logging.INFO:
        authlib_log.setLevel(logging.INFO)  # its DEBUG lines carry the PKCE verifier
    issuer = app.config.get("HAH_OIDC_ISSUER", "")
    if not issuer:
        app.extensions[EXTENSION] = None
        return
    if not app.config.get("HAH_OIDC_CLIENT_ID"):
        raise RuntimeError("HAH_OIDC_ISSUER is set but HAH_OIDC_CLIENT_ID is not: single "
                           "sign-on needs the client registered with the provider")  # fmt: skip
    scopes = app.config.get("HAH_OIDC_SCOPES", "").split()
    if "openid" not in scopes:
        scopes.insert(0, "openid")
    secret = app.config.get("HAH_OIDC_CLIENT_SECRET") or None
    client_kwargs: dict[str, Any] = {
        "scope": " ".join(scopes),
        "code_challenge_method": "S256",
        "default_timeout": PROVIDER_TIMEOUT_S,
        # without a secret the client is public: PKCE alone binds the code to this browser
        "token_endpoint_auth_method": "client_secret_basic" if secret else "none",
    }
    oauth = OAuth(app)
    app.extensions[EXTENSION] = oauth.register(
        "oidc",
        overwrite=True,
        client_id=app.config.get("HAH_OIDC_CLIENT_ID", ""),
        client_secret=secret,
        server_metadata_url=f"{issuer.rstrip('/')}/.well-known/openid-configuration",
        client_kwargs=client_kwargs,
    )


@bp.app_context_processor
def _button() -> dict[str, Any]:
    """``oidc_name`` for the sign-in page's button: only when a provider is configured."""
    if not configured(current_app):
        return {"oidc_name": None}
    return {"oidc_name": current_app.config.get("HAH_OIDC_NAME") or "single sign-on"}


def _client() -> Any:
    client = current_app.extensions.get(EXTENSION)
    if client is None:
        abort(404)
    return client


def _metadata(client: Any) -> dict[str, Any]:
    """The provider's metadata (fetched once, then kept), checked to name our issuer."""
    try:
        metadata = client.load_server_metadata()
    except (OSError, ValueError) as exc:  # requests' errors are OSErrors; bad JSON ValueError
        raise ProviderUnusable(f"metadata unreachable ({type(exc).__name__})") from None
    want = current_app.config["HAH_OIDC_ISSUER"].rstrip("/")
    if str(metadata.get("issuer", "")).rstrip("/") != want:
        client.server_metadata.pop("_loaded_at", None)  # fetch it again next time
        raise ProviderUnusable("metadata names another issuer")
    return metadata


def _refuse(message: str, status: int, reason: str):
    """Back to the sign-in page with ``message``; the audit log gets ``reason``."""
    s = db_session()
    audit.record(s, None, "login_failed", f"oidc: {reason}"[:400], client_ip())
    s.commit()
    session.pop(_NEXT, None)
    return render_template("auth/login.html", error=message, next=""), status


def _name() -> str:
    return current_app.config.get("HAH_OIDC_NAME") or "single sign-on"


def _unreachable(name: str) -> str:
    return f"{name} cannot be reached just now. Try again, or sign in with a password."


@bp.route("/login")
@public
def login():
    """Send the browser to the provider (a fresh ``state``, ``nonce`` and PKCE verifier)."""
    client = _client()
    user = current_user()
    if user is not None:
        return redirect(home_url(user.role))
    try:
        _metadata(client)
    except ProviderUnusable as exc:
        return _refuse(_unreachable(_name()), 502, str(exc))  # fmt: skip
    nxt = _safe_next(request.args.get("next"))
    if nxt:
        session[_NEXT] = nxt
    else:
        session.pop(_NEXT, None)
    return client.authorize_redirect(url_for("oidc.callback", _external=True))


def _claims_options(issuer: str, client_id: str) -> dict[str, dict[str, Any]]:
    """What the ID token must say beyond its signature; Authlib checks ``aud`` only when it
    is told to (it would otherwise accept any audience with our ``azp``). Built per call:
    Authlib consumes the dict."""
    return {
        "iss": {"essential": True, "value": issuer},
        "aud": {"essential": True, "value": client_id},
        "sub": {"essential": True},
        "exp": {"essential": True},
        "iat": {"essential": True},
    }


@bp.route("/callback")
@public
def callback():
    """The provider's answer: exchange the code, verify the ID token, sign the account in."""
    client = _client()
    name = _name()
    error = request.args.get("error")
    if error:
        code = error if _ERROR_CODE.fullmatch(error) else "unrecognised"
        if code == "access_denied":
            return _refuse(f"Sign-in with {name} was cancelled or refused.", 403,
                           "provider answered access_denied")  # fmt: skip
        return _refuse(f"{name} could not sign you in ({code}).", 400,
                       f"provider answered {code}")  # fmt: skip
    try:
        metadata = _metadata(client)
        token = client.authorize_access_token(
            claims_options=_claims_options(metadata["issuer"], client.client_id),
            leeway=LEEWAY_S,
        )
    except ProviderUnusable as exc:
        return _refuse(_unreachable(name), 502, str(exc))  # fmt: skip
    except MismatchingStateError:
        return _refuse("That sign-in had expired or was already used. Start again.", 400,
                       "state missing or not this browser's")  # fmt: skip
    except OAuthError as exc:
        code = exc.error if isinstance(exc.error, str) and _ERROR_CODE.fullmatch(exc.error) \
            else "error"  # fmt: skip
        return _refuse(f"{name} did not complete the sign-in. Start again.", 401,
                       f"token endpoint refused ({code})")  # fmt: skip
    except JoseError as exc:
        return _refuse(f"{name}'s answer could not be verified, so you are not signed in.",
                       401, f"ID token refused ({type(exc).__name__}: {exc})"[:200])  # fmt: skip
    except (OSError, ValueError) as exc:
        return _refuse(_unreachable(name), 502, f"token exchange failed ({type(exc).__name__})")
    claims = token.get("userinfo")
    if not claims:
        return _refuse(f"{name}'s answer could not be verified, so you are not signed in.",
                       401, "no ID token in the token response")  # fmt: skip
    s = db_session()
    match = match_identity(s, str(claims["iss"]), str(claims["sub"]), dict(claims),
                           current_app.config.get("HAH_OIDC_USERNAME_CLAIM", ""))  # fmt: skip
    if match.user is None:
        s.rollback()
        return _refuse(f"Your {name} sign-in is not linked to an account here, or the account "
                       "is disabled. Ask an administrator.", 403, match.refused)  # fmt: skip
    user = match.user
    if match.linked_now:
        audit.record(s, user, "oidc_link", f"first sign-in (iss {claims['iss']}, sub "
                     f"{claims['sub']})", client_ip())  # fmt: skip
    audit.record(s, user, "login", "oidc", client_ip())
    try:
        s.commit()
    except IntegrityError:  # the same identity linked to another account at the same moment
        s.rollback()
        return _refuse(f"Your {name} sign-in is not linked to an account here, or the account "
                       "is disabled. Ask an administrator.", 403, "identity linked elsewhere "
                       f"meanwhile (iss {claims['iss']}, sub {claims['sub']})")  # fmt: skip
    nxt = session.pop(_NEXT, None)
    begin_session(user, via="oidc")
    return redirect(_safe_next(nxt) or home_url(user.role))
