"""Single sign-on through OpenID Connect, against a real provider on loopback.

The provider (``tests.support.oidc_provider``) runs in a thread on a free port; the app runs
in Flask's test client. A test plays the browser: it follows the app's redirect to the
provider's ``/authorize`` over HTTP, reads the provider's redirect back, and calls the app's
callback with it. The app itself fetches the provider's discovery document, exchanges the code
at ``/token`` and reads ``/jwks`` over HTTP, as it would with NHS CIS2.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from tests.support.oidc_provider import OpenIDProvider, Person, follow_to_provider
from tests.support.web import DAY, text_of
from web.models import AuditLog, User

BUTTON = "Sign in with NHS Care Identity"


@pytest.fixture
def provider() -> Iterator[OpenIDProvider]:
    op = OpenIDProvider()
    with op.serve():
        yield op


def _app(db_url: str, tmp_path: Any, **extra: Any):
    from web import create_app

    return create_app({"DATABASE_URL": db_url, "TESTING": True, "SECRET_KEY": "test-secret",
                       "INSTANCE_DIR": tmp_path / "instance", "HAH_TODAY": DAY,
                       "HAH_TILE_URL": "", "HAH_JOB_RUNNER": "thread", **extra})  # fmt: skip


@pytest.fixture
def app(db_url, tmp_path, provider):
    """The conftest's app, with the test provider configured (the ``db`` and ``users``
    fixtures build on this one)."""
    app = _app(db_url, tmp_path, HAH_OIDC_ISSUER=provider.issuer,
               HAH_OIDC_CLIENT_ID=provider.client.client_id,
               HAH_OIDC_CLIENT_SECRET=provider.client.client_secret,
               HAH_OIDC_NAME="NHS Care Identity",
               HAH_OIDC_USERNAME_CLAIM="preferred_username")  # fmt: skip
    yield app
    app.extensions["hah_db"].dispose()


def _link(db, user: User, provider: OpenIDProvider, sub: str) -> None:
    user.oidc_issuer, user.oidc_subject = provider.issuer, sub
    db.commit()


def sign_in(client, path: str = "/auth/oidc/login"):
    """The browser's round trip: app → provider's /authorize → app's callback."""
    r = client.get(path)
    assert r.status_code == 302, r.get_data(as_text=True)
    back = urlsplit(follow_to_provider(r.headers["Location"]))
    assert back.path == "/auth/oidc/callback"
    return client.get(f"{back.path}?{back.query}")


def audit_actions(db) -> list[tuple[str, str, str]]:
    db.expire_all()
    return [(a.action, a.username, a.detail) for a in db.scalars(select(AuditLog).order_by(AuditLog.id))]


def test_the_login_redirect_asks_for_a_code_with_pkce_state_and_nonce(client, provider):
    r = client.get("/auth/oidc/login")
    assert r.status_code == 302
    url = urlsplit(r.headers["Location"])
    assert f"{url.scheme}://{url.netloc}{url.path}" == f"{provider.issuer}/authorize"
    q = {k: v[0] for k, v in parse_qs(url.query).items()}
    assert q["response_type"] == "code" and q["client_id"] == "hah-test"
    assert q["code_challenge_method"] == "S256" and len(q["code_challenge"]) == 43
    assert q["state"] and q["nonce"] and q["scope"].split()[0] == "openid"
    assert q["redirect_uri"] == "http://localhost/auth/oidc/callback"


def test_a_linked_account_signs_in_and_lands_on_its_home(client, db, users, provider):
    _link(db, users["nurse"], provider, "nurse-sub-1")
    provider.user = Person("nurse-sub-1", {"preferred_username": "someone-else"})
    r = sign_in(client)
    assert r.status_code == 302 and r.headers["Location"] == "/nurse/"
    assert "/auth/login" not in client.get("/nurse/").headers["Location"]  # her route page
    assert client.get("/api/me").get_json()["username"] == "nurse"
    assert ("login", "nurse", "oidc") in audit_actions(db)
    # over HTTP, as a real provider is used: discovery, code exchange, keys
    assert {"/.well-known/openid-configuration", "/authorize", "/token", "/jwks"} <= set(provider.requests)


def test_the_role_is_the_local_accounts_not_the_providers(client, db, users, provider):
    _link(db, users["ops"], provider, "ops-sub")
    provider.user = Person("ops-sub", {"role": "admin", "roles": ["admin"]})
    r = sign_in(client)
    assert r.headers["Location"] == "/ops/"
    assert client.get("/coordinator/").status_code == 403


def test_next_is_kept_through_the_provider_when_it_is_a_local_path(client, db, users, provider):
    _link(db, users["coord"], provider, "coord-sub")
    provider.user = Person("coord-sub")
    r = sign_in(client, "/auth/oidc/login?next=/coordinator/days")
    assert r.headers["Location"] == "/coordinator/days"
    client2 = client.application.test_client()
    r = sign_in(client2, "/auth/oidc/login?next=//evil.example/")
    assert r.headers["Location"] == "/coordinator/"


def test_first_sign_in_links_by_the_username_claim(client, db, users, provider):
    provider.user = Person("coord-sub-9", {"preferred_username": "coord"})
    r = sign_in(client)
    assert r.status_code == 302 and r.headers["Location"] == "/coordinator/"
    db.expire_all()
    coord = db.get(User, users["coord"].id)
    assert (coord.oidc_issuer, coord.oidc_subject) == (provider.issuer, "coord-sub-9")
    actions = [a[0] for a in audit_actions(db)]
    assert actions[-2:] == ["oidc_link", "login"]
    # from now on the identity, not the claim, finds the account
    provider.user = Person("coord-sub-9", {"preferred_username": "renamed"})
    assert sign_in(client.application.test_client()).headers["Location"] == "/coordinator/"


def test_an_account_linked_to_another_identity_is_not_taken_by_the_claim(client, db, users, provider):
    _link(db, users["coord"], provider, "the-real-coord")
    provider.user = Person("impostor", {"preferred_username": "coord"})
    r = sign_in(client)
    assert r.status_code == 403
    db.expire_all()
    assert db.get(User, users["coord"].id).oidc_subject == "the-real-coord"
    assert "linked to another identity" in audit_actions(db)[-1][2]


def test_without_a_username_claim_only_linked_identities_sign_in(db_url, tmp_path, provider, backend):
    from web.services.users import create_user

    app = _app(db_url, tmp_path, HAH_OIDC_ISSUER=provider.issuer,
               HAH_OIDC_CLIENT_ID="hah-test", HAH_OIDC_CLIENT_SECRET="s3cret-for-tests")  # fmt: skip
    try:
        with app.extensions["hah_db"].session() as s:
            create_user(s, "coord", "correct horse battery", "coordinator",
                        hash_method="pbkdf2:sha256:1000")  # fmt: skip
            s.commit()
        provider.user = Person("coord-sub", {"preferred_username": "coord"})
        r = sign_in(app.test_client())
        assert r.status_code == 403
        assert "not linked to an account here" in text_of(r)
    finally:
        app.extensions["hah_db"].dispose()


def test_an_unknown_identity_is_refused_and_no_account_is_made(client, db, users, provider):
    before = db.scalar(select(User.id).order_by(User.id.desc()))
    provider.user = Person("stranger", {"preferred_username": "stranger", "email": "s@example.nhs.uk"})
    r = sign_in(client)
    assert r.status_code == 403
    assert "not linked to an account here" in text_of(r)
    assert "Sign in" in text_of(r)  # the sign-in page, with its message
    db.expire_all()
    assert db.scalar(select(User.id).order_by(User.id.desc())) == before
    assert client.get("/api/me").status_code == 401
    action, _, detail = audit_actions(db)[-1]
    assert action == "login_failed" and "sub stranger" in detail


def test_email_links_only_when_the_provider_verified_it(db_url, tmp_path, provider, backend):
    from web.services.users import create_user

    app = _app(db_url, tmp_path, HAH_OIDC_ISSUER=provider.issuer, HAH_OIDC_CLIENT_ID="hah-test",
               HAH_OIDC_CLIENT_SECRET="s3cret-for-tests", HAH_OIDC_USERNAME_CLAIM="email")  # fmt: skip
    try:
        with app.extensions["hah_db"].session() as s:
            create_user(s, "ann@trust.nhs.uk", "correct horse battery", "ops",
                        hash_method="pbkdf2:sha256:1000")  # fmt: skip
            s.commit()
        provider.user = Person("ann", {"email": "ann@trust.nhs.uk", "email_verified": False})
        assert sign_in(app.test_client()).status_code == 403
        provider.user = Person("ann", {"email": "ann@trust.nhs.uk", "email_verified": True})
        assert sign_in(app.test_client()).headers["Location"] == "/ops/"
    finally:
        app.extensions["hah_db"].dispose()


def test_a_disabled_account_is_refused(client, db, users, provider):
    _link(db, users["ops"], provider, "ops-sub")
    users["ops"].active = False
    db.commit()
    provider.user = Person("ops-sub")
    r = sign_in(client)
    assert r.status_code == 403
    assert client.get("/api/me").status_code == 401
    assert "disabled" in audit_actions(db)[-1][2]


def test_a_disabled_account_is_not_linked_at_first_sign_in(client, db, users, provider):
    users["ops"].active = False
    db.commit()
    provider.user = Person("ops-sub", {"preferred_username": "ops"})
    assert sign_in(client).status_code == 403
    db.expire_all()
    assert db.get(User, users["ops"].id).oidc_subject is None


@pytest.mark.parametrize(
    ("misbehaviour", "says"),
    [
        ("wrong_audience", "'aud'"),
        ("expired", "expired"),
        ("bad_signature", "BadSignatureError"),
        ("wrong_nonce", "'nonce'"),
        ("wrong_issuer", "'iss'"),
        ("no_id_token", "no ID token"),
    ],
)
def test_an_id_token_that_fails_a_check_is_refused(client, db, users, provider, misbehaviour, says):
    _link(db, users["coord"], provider, "coord-sub")
    provider.user = Person("coord-sub")
    provider.misbehave = misbehaviour
    r = sign_in(client)
    assert r.status_code == 401
    assert "could not be verified" in text_of(r)
    assert client.get("/api/me").status_code == 401
    action, _, detail = audit_actions(db)[-1]
    assert action == "login_failed" and says in detail
    assert "eyJ" not in detail  # no token (a JWT starts so) in the audit log


def test_a_callback_with_a_state_this_browser_did_not_start_is_refused(client, db, users, provider):
    _link(db, users["coord"], provider, "coord-sub")
    provider.user = Person("coord-sub")
    # the attacker starts a sign-in in their own browser and sends the callback link on
    attacker = client.application.test_client()
    r = attacker.get("/auth/oidc/login")
    back = urlsplit(follow_to_provider(r.headers["Location"]))
    r = client.get(f"{back.path}?{back.query}")
    assert r.status_code == 400
    assert "expired or was already used" in text_of(r)
    assert client.get("/api/me").status_code == 401
    # a made-up state, and the same callback twice
    assert client.get("/auth/oidc/callback?code=x&state=made-up").status_code == 400
    r = attacker.get(f"{back.path}?{back.query}")
    assert r.status_code == 302
    assert attacker.application.test_client().get(f"{back.path}?{back.query}").status_code == 400


def test_a_code_cannot_be_replayed(client, db, users, provider):
    _link(db, users["coord"], provider, "coord-sub")
    provider.user = Person("coord-sub")
    r = client.get("/auth/oidc/login")
    back = urlsplit(follow_to_provider(r.headers["Location"]))
    assert client.get(f"{back.path}?{back.query}").status_code == 302
    # the same code again through a fresh flow of the same browser: the provider refuses it
    r = client.post("/auth/logout", data={"csrf_token": _csrf(client)})
    assert r.status_code == 302
    r = client.get("/auth/oidc/login")
    fresh = parse_qs(urlsplit(r.headers["Location"]).query)["state"][0]
    code = parse_qs(back.query)["code"][0]
    r = client.get(f"/auth/oidc/callback?code={code}&state={fresh}")
    assert r.status_code == 401
    assert "token endpoint refused (invalid_grant)" in audit_actions(db)[-1][2]


def _csrf(client) -> str:
    from tests.support.web import csrf

    return csrf(client)


def test_the_provider_saying_access_denied_is_handled(client, db, users, provider):
    provider.user = Person("coord-sub")
    provider.deny = True
    r = sign_in(client)
    assert r.status_code == 403
    assert "cancelled or refused" in text_of(r)
    assert audit_actions(db)[-1][:2] == ("login_failed", "")
    assert "access_denied" in audit_actions(db)[-1][2]


def test_other_provider_errors_and_junk_are_4xx(client, provider):
    client.get("/auth/oidc/login")
    r = client.get("/auth/oidc/callback?error=server_error&state=x")
    assert r.status_code == 400 and "(server_error)" in text_of(r)
    r = client.get("/auth/oidc/callback?error=%3Cscript%3E&state=x")
    assert r.status_code == 400 and "<script>" not in r.get_data(as_text=True)
    assert client.get("/auth/oidc/callback").status_code == 400


def test_an_unreachable_provider_is_a_clear_502(db_url, tmp_path, backend):
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # a port nothing listens on once closed
    app = _app(db_url, tmp_path, HAH_OIDC_ISSUER=f"http://127.0.0.1:{port}",
               HAH_OIDC_CLIENT_ID="x", HAH_OIDC_CLIENT_SECRET="y")  # fmt: skip
    try:
        r = app.test_client().get("/auth/oidc/login")
        assert r.status_code == 502 and "cannot be reached" in text_of(r)
    finally:
        app.extensions["hah_db"].dispose()


def test_a_provider_whose_metadata_names_another_issuer_is_not_used(db_url, tmp_path, provider, backend):
    app = _app(db_url, tmp_path, HAH_OIDC_ISSUER=provider.issuer + "/other",
               HAH_OIDC_CLIENT_ID="hah-test", HAH_OIDC_CLIENT_SECRET="s3cret-for-tests")  # fmt: skip
    try:
        r = app.test_client().get("/auth/oidc/login")
        assert r.status_code == 502
    finally:
        app.extensions["hah_db"].dispose()


def test_the_button_shows_only_when_configured(client, db_url, tmp_path, backend):
    assert BUTTON in text_of(client.get("/auth/login"))
    plain = _app(db_url, tmp_path)
    try:
        c = plain.test_client()
        assert "Sign in with" not in text_of(c.get("/auth/login"))
        assert c.get("/auth/oidc/login").status_code == 404
        assert c.get("/auth/oidc/callback?code=x&state=y").status_code == 404
    finally:
        plain.extensions["hah_db"].dispose()


def test_password_sign_in_still_needs_its_csrf_token(client, users):
    r = client.post("/auth/login", data={"username": "coord", "password": "correct horse battery"})
    assert r.status_code == 400


def test_hah_users_link_oidc(db_url, users, monkeypatch, capsys, db):
    from scheduler.cli import main

    monkeypatch.setenv("DATABASE_URL", db_url)
    args = ["users", "link-oidc", "nurse", "--issuer", "https://idp.example", "--subject", "n-1"]
    assert main(args) == 0
    assert "linked nurse to iss https://idp.example, sub n-1" in capsys.readouterr().out
    db.expire_all()
    nurse = db.get(User, users["nurse"].id)
    assert (nurse.oidc_issuer, nurse.oidc_subject) == ("https://idp.example", "n-1")
    assert audit_actions(db)[-1][0] == "oidc_link"
    # the same identity for another account is refused; an unknown account too
    assert main(["users", "link-oidc", "nurse2", "--issuer", "https://idp.example",
                 "--subject", "n-1"]) == 2  # fmt: skip
    assert "linked to 'nurse' already" in capsys.readouterr().err
    assert main(["users", "link-oidc", "nobody", "--issuer", "i", "--subject", "s"]) == 2
    assert "no account named 'nobody'" in capsys.readouterr().err
    # re-linking an account replaces its identity, and says what it was
    assert main(["users", "link-oidc", "nurse", "--issuer", "https://idp.example",
                 "--subject", "n-2"]) == 0  # fmt: skip
    assert "was iss https://idp.example, sub n-1" in capsys.readouterr().out


def test_a_linked_account_signs_in_after_the_cli_links_it(client, db, db_url, users, provider, monkeypatch):
    from scheduler.cli import main

    monkeypatch.setenv("DATABASE_URL", db_url)
    assert main(["users", "link-oidc", "admin", "--issuer", provider.issuer, "--subject", "adm"]) == 0
    provider.user = Person("adm")
    assert sign_in(client).headers["Location"] == "/coordinator/"


def test_an_issuer_without_a_client_id_refuses_to_start(db_url, tmp_path, backend):
    with pytest.raises(RuntimeError, match="HAH_OIDC_CLIENT_ID"):
        _app(db_url, tmp_path, HAH_OIDC_ISSUER="https://idp.example")
