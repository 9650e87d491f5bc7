"""A small, real OpenID provider for the single sign-on tests, served over HTTP on loopback.

Built from Authlib's own server parts (``AuthorizationServer``, ``AuthorizationCodeGrant``
with the ``OpenIDCode`` and PKCE ``CodeChallenge`` extensions), so the app's client meets the
protocol as a provider speaks it: a discovery document, ``/authorize``, ``/token`` and
``/jwks`` with an RSA key made at start, and RS256-signed ID tokens with ``iss``, ``aud``,
``exp``, ``iat``, ``nonce`` and ``sub``. Everything is kept in memory.

``/authorize`` approves ``provider.user`` at once (no login page: a test's browser is the
test itself), or answers ``error=access_denied`` when ``provider.deny`` is set. To test the
app's checks the provider misbehaves on request (``provider.misbehave``):

- ``wrong_audience``: the ID token is for another client;
- ``expired``: it expired an hour ago;
- ``bad_signature``: signed with a key that is not in the JWKS (same ``kid``);
- ``wrong_nonce``: it carries a nonce the app did not send;
- ``wrong_issuer``: another ``iss``;
- ``no_id_token``: the token response has no ID token.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, ClassVar

from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.oauth2.rfc6749 import grants
from authlib.oauth2.rfc6749.util import scope_to_list
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oidc.core import UserInfo
from authlib.oidc.core.grants import OpenIDCode
from flask import Flask, jsonify, request
from joserfc.jwk import RSAKey

MISBEHAVIOURS = ("wrong_audience", "expired", "bad_signature", "wrong_nonce", "wrong_issuer",
                 "no_id_token")  # fmt: skip
KID = "test-key-1"


@dataclass
class Person:
    """Who the provider says signed in: ``sub`` and the claims sent with it."""

    sub: str
    claims: dict[str, Any] = field(default_factory=dict)


@dataclass
class Client:
    """The one registered client (the app), as Authlib's ``ClientMixin`` asks."""

    client_id: str
    client_secret: str
    redirect_uris: list[str] = field(default_factory=list)

    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> str | None:
        return self.redirect_uris[0] if self.redirect_uris else None

    def get_allowed_scope(self, scope: str) -> str:
        return " ".join(s for s in scope_to_list(scope) or [] if s in ("openid", "profile",
                                                                       "email"))  # fmt: skip

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        # any callback of the app under test (its port is known only once it runs)
        return redirect_uri.endswith("/auth/oidc/callback")

    def check_client_secret(self, client_secret: str) -> bool:
        return secrets.compare_digest(self.client_secret, client_secret)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method == "client_secret_basic" if endpoint == "token" else True

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type == "authorization_code"


@dataclass
class Code:
    """An issued authorization code and what it was issued for."""

    code: str
    client_id: str
    redirect_uri: str
    scope: str
    person: Person
    nonce: str | None
    code_challenge: str | None
    code_challenge_method: str | None
    auth_time: int

    def get_redirect_uri(self) -> str:
        return self.redirect_uri

    def get_scope(self) -> str:
        return self.scope

    def get_nonce(self) -> str | None:
        return self.nonce

    def get_auth_time(self) -> int:
        return self.auth_time

    def get_acr(self) -> str | None:
        return None

    def get_amr(self) -> list[str] | None:
        return None


class OpenIDProvider:
    """The provider's state and its Flask app; ``serve()`` puts it on a free loopback port."""

    def __init__(self, client_id: str = "hah-test", client_secret: str = "s3cret-for-tests"):
        self.client = Client(client_id, client_secret)
        self.key = RSAKey.generate_key(2048, parameters={"kid": KID, "use": "sig",
                                                         "alg": "RS256"})  # fmt: skip
        self.issuer = ""  # set once serving (it holds the port)
        self.user: Person | None = None
        self.deny = False
        self.misbehave: str | None = None
        self.codes: dict[str, Code] = {}
        self.requests: list[str] = []  # paths asked for, to show what went over HTTP
        self.app = self._build()

    # --- what the ID token says, misbehaving on request ---------------------------------

    def _claims_for(self, client: Client) -> dict[str, Any]:
        now = int(time.time())
        claims: dict[str, Any] = {"iss": self.issuer, "aud": [client.client_id],
                                  "iat": now, "exp": now + 300}  # fmt: skip
        if self.misbehave == "wrong_audience":
            claims["aud"] = ["someone-else"]
        elif self.misbehave == "expired":
            claims["iat"], claims["exp"] = now - 7200, now - 3600
        elif self.misbehave == "wrong_issuer":
            claims["iss"] = "http://127.0.0.1:1/elsewhere"
        return claims

    def _signing_key(self) -> RSAKey:
        if self.misbehave == "bad_signature":
            return RSAKey.generate_key(2048, parameters={"kid": KID})
        return self.key

    def _build(self) -> Flask:
        provider = self
        app = Flask("test_oidc_provider")
        app.config["OAUTH2_TOKEN_EXPIRES_IN"] = {"authorization_code": 300}

        class CodeGrant(grants.AuthorizationCodeGrant):
            TOKEN_ENDPOINT_AUTH_METHODS: ClassVar[list[str]] = ["client_secret_basic"]

            def save_authorization_code(self, code: str, req: Any) -> None:
                data = req.payload.data
                assert provider.user is not None
                provider.codes[code] = Code(
                    code, req.client.client_id, req.payload.redirect_uri, req.payload.scope,
                    provider.user, data.get("nonce"), data.get("code_challenge"),
                    data.get("code_challenge_method"), int(time.time()),
                )  # fmt: skip

            def query_authorization_code(self, code: str, client: Client) -> Code | None:
                found = provider.codes.get(code)
                return found if found and found.client_id == client.client_id else None

            def delete_authorization_code(self, authorization_code: Code) -> None:
                provider.codes.pop(authorization_code.code, None)

            def authenticate_user(self, authorization_code: Code) -> Person:
                return authorization_code.person

        class IDTokenExtension(OpenIDCode):
            def exists_nonce(self, nonce: str, req: Any) -> bool:
                return any(c.nonce == nonce for c in provider.codes.values())

            def resolve_client_private_key(self, client: Client) -> RSAKey:
                return provider._signing_key()

            def get_client_algorithm(self, client: Client) -> str:
                return "RS256"

            def get_client_claims(self, client: Client) -> dict[str, Any]:
                return provider._claims_for(client)

            def get_encode_header(self, client: Client) -> dict[str, Any]:
                return {"alg": "RS256", "kid": KID}

            def get_authorization_code_claims(self, authorization_code: Code) -> dict[str, Any]:
                claims = super().get_authorization_code_claims(authorization_code)
                if provider.misbehave == "wrong_nonce":
                    claims["nonce"] = "not-the-nonce-sent"
                return claims

            def generate_user_info(self, user: Person, scope: str) -> UserInfo:
                return UserInfo(sub=user.sub, **user.claims)

            def process_token(self, grant: Any, response: Any) -> Any:
                token = super().process_token(grant, response)
                if provider.misbehave == "no_id_token":
                    token.pop("id_token", None)
                return token

        server = AuthorizationServer(app, query_client=lambda cid: provider.client
                                     if cid == provider.client.client_id else None,
                                     save_token=lambda token, req: None)  # fmt: skip
        server.register_grant(CodeGrant, [IDTokenExtension(require_nonce=True),
                                          CodeChallenge(required=True)])  # fmt: skip

        @app.before_request
        def _note():
            provider.requests.append(request.path)

        @app.get("/.well-known/openid-configuration")
        def discovery():
            base = provider.issuer
            return jsonify(
                issuer=base,
                authorization_endpoint=f"{base}/authorize",
                token_endpoint=f"{base}/token",
                jwks_uri=f"{base}/jwks",
                response_types_supported=["code"],
                subject_types_supported=["public"],
                id_token_signing_alg_values_supported=["RS256"],
                scopes_supported=["openid", "profile", "email"],
                token_endpoint_auth_methods_supported=["client_secret_basic"],
                code_challenge_methods_supported=["S256"],
            )

        @app.get("/jwks")
        def jwks():
            return jsonify(keys=[provider.key.as_dict(private=False)])

        @app.get("/authorize")
        def authorize():
            grant = server.get_consent_grant(end_user=provider.user)
            person = None if provider.deny else provider.user
            return server.create_authorization_response(grant=grant, grant_user=person)

        @app.post("/token")
        def token():
            return server.create_token_response()

        return app

    @contextmanager
    def serve(self) -> Iterator[OpenIDProvider]:
        """Serve on 127.0.0.1 at a free port in a thread until the block ends."""
        from werkzeug.serving import WSGIRequestHandler, make_server

        class Quiet(WSGIRequestHandler):
            def log_request(self, *args: Any, **kwargs: Any) -> None:
                pass  # its lines would hold the codes, states and nonces of the tests

        srv = make_server("127.0.0.1", 0, self.app, threaded=True, request_handler=Quiet)
        self.issuer = f"http://127.0.0.1:{srv.server_port}"
        thread = threading.Thread(target=srv.serve_forever, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            srv.shutdown()
            thread.join(5)


def follow_to_provider(url: str) -> str:
    """Do what a browser does with the app's redirect to ``/authorize``: ask the provider
    over HTTP (redirects not followed) and return where it sends the browser back to."""
    import urllib.error
    import urllib.request

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: Any, **kwargs: Any) -> None:
            return None

    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(url, timeout=10) as res:
            raise AssertionError(f"the provider answered {res.status}, not a redirect")
    except urllib.error.HTTPError as err:
        if err.code not in (301, 302, 303, 307):
            raise AssertionError(
                f"the provider answered {err.code}: {err.read()[:300]!r}"
            ) from None
        return err.headers["Location"]
