"""The admin's accounts page (``/admin/accounts``) and its JSON twin (``/api/users``).

An admin sees every account (role, clinician id, active, whether a password change is
forced, last sign-in, open sessions) and can disable or re-enable it, reset its password to
a temporary one, or sign it out everywhere. The work is ``web.services.accounts``, which
``hah users …`` uses too; these views only parse, call and answer.
"""

from __future__ import annotations

from flask import (
    Blueprint,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)

from web.errors import json_object
from web.security import client_ip, db_session, roles, signed_in_user
from web.services import accounts
from web.services.users import UserError
from web.sessions import timeouts

bp = Blueprint("accounts", __name__, url_prefix="/admin/accounts")
api_bp = Blueprint("users_api", __name__, url_prefix="/api/users")


@bp.route("/")
@roles("admin")
def index():
    rows = accounts.list_accounts(db_session(), timeouts(current_app))
    return render_template("admin/accounts.html", accounts=rows, me=signed_in_user())


def _act(username: str, action: str, password: str | None = None) -> str:
    """Do ``action`` to ``username`` as the signed-in admin and commit; a sentence saying
    what was done. Raises ``NoSuchAccount`` or ``UserError``."""
    s = db_session()
    admin, ip = signed_in_user(), client_ip()
    if action == "disable":
        ended = accounts.disable(s, username, actor=admin, ip=ip)
        said = f"{username} disabled; {ended} open sessions ended."
    elif action == "enable":
        accounts.enable(s, username, actor=admin, ip=ip)
        said = f"{username} can sign in again."
    elif action == "reset":
        accounts.reset_password(s, username, password, actor=admin, ip=ip,
                                hash_method=current_app.config["PASSWORD_HASH_METHOD"])  # fmt: skip
        said = f"{username}'s password was reset; it must be changed at the next sign-in."
    else:
        ended = accounts.sign_out_everywhere(s, username, actor=admin, ip=ip)
        said = f"{username} signed out everywhere ({ended} sessions ended)."
    s.commit()
    return said


def _page_action(username: str, action: str):
    password = request.form.get("password", "") if action == "reset" else None
    try:
        flash(_act(username, action, password), "ok")
    except accounts.NoSuchAccount as err:
        db_session().rollback()
        flash(str(err).capitalize() + ".", "error")
    except UserError as err:
        db_session().rollback()
        flash(f"Not done: {err}.", "error")
    return redirect(url_for("accounts.index"))


@bp.route("/<username>/disable", methods=["POST"])
@roles("admin")
def disable(username: str):
    return _page_action(username, "disable")


@bp.route("/<username>/enable", methods=["POST"])
@roles("admin")
def enable(username: str):
    return _page_action(username, "enable")


@bp.route("/<username>/reset", methods=["POST"])
@roles("admin")
def reset(username: str):
    """The admin types the temporary password (it must pass the policy) and hands it over
    herself: the page never shows one back."""
    return _page_action(username, "reset")


@bp.route("/<username>/sign-out", methods=["POST"])
@roles("admin")
def sign_out(username: str):
    return _page_action(username, "sign-out")


# --- the JSON API -----------------------------------------------------------------------------


@api_bp.route("")
@roles("admin")
def api_list():
    rows = accounts.list_accounts(db_session(), timeouts(current_app))
    return jsonify(users=[a.as_json() for a in rows])


def _api_action(username: str, action: str):
    password = None
    if action == "reset":
        password = json_object().get("password")
        if not isinstance(password, str) or not password:
            return jsonify(error="password: a temporary password (a string) is required"), 422
    else:
        json_object()  # a body, if any, must still be a JSON object
    try:
        message = _act(username, action, password)
    except accounts.NoSuchAccount:
        db_session().rollback()
        return jsonify(error="not found"), 404
    except UserError as err:
        db_session().rollback()
        return jsonify(error=str(err)), 422
    row = next(a for a in accounts.list_accounts(db_session(), timeouts(current_app))
               if a.username == username.strip())  # fmt: skip
    return jsonify(message=message, user=row.as_json())


@api_bp.route("/<username>/disable", methods=["POST"])
@roles("admin")
def api_disable(username: str):
    return _api_action(username, "disable")


@api_bp.route("/<username>/enable", methods=["POST"])
@roles("admin")
def api_enable(username: str):
    return _api_action(username, "enable")


@api_bp.route("/<username>/reset", methods=["POST"])
@roles("admin")
def api_reset(username: str):
    return _api_action(username, "reset")


@api_bp.route("/<username>/sign-out", methods=["POST"])
@roles("admin")
def api_sign_out(username: str):
    return _api_action(username, "sign-out")
