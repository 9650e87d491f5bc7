"""Which local account an OpenID Connect identity signs in to, and linking the two.

The rule, and why:

- An identity is the provider's issuer and subject (``iss``, ``sub``): the one pair the
  OpenID Connect specification promises is stable and never re-assigned. A name or an email
  address can change hands (a leaver's address given to a new starter), so neither is what an
  account is found by once it is linked.
- No account is ever made here. In a clinical system an admin makes accounts and gives their
  roles (``hah users add``); the provider says who someone is, never what they may do here, so
  the role is always the local account's.
- An identity not yet linked may be linked at its first sign-in when the trust names a claim
  (``HAH_OIDC_USERNAME_CLAIM``, e.g. ``preferred_username``) whose value is an existing
  username, and that account is linked to no other identity. ``email`` counts only when the
  provider says it verified it (``email_verified``). Otherwise an admin links it
  (``hah users link-oidc``, ``link_account``).
- A disabled account is refused, and is not linked by a first sign-in either.

Nothing here imports Flask; the caller commits (audit entries go in the same transaction).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from web.models import User


class OIDCLinkError(ValueError):
    """An account cannot be linked as asked (no such account, the identity is another's)."""


@dataclass(frozen=True)
class SignInMatch:
    """The answer for one verified identity: the account to sign in (``user``), or why not
    (``refused``: a reason for the audit log, never shown with a token in it)."""

    user: User | None
    linked_now: bool = False
    refused: str = ""


def find_by_identity(s: Session, issuer: str, subject: str) -> User | None:
    return s.scalar(select(User).where(User.oidc_issuer == issuer, User.oidc_subject == subject))


def _claimed_username(claims: dict[str, Any], claim: str) -> str | None:
    value = claims.get(claim)
    if not isinstance(value, str) or not value.strip():
        return None
    if claim == "email" and claims.get("email_verified") is not True:
        return None  # an address the provider did not check could be anyone's
    return value.strip()


def match_identity(
    s: Session, issuer: str, subject: str, claims: dict[str, Any], username_claim: str = ""
) -> SignInMatch:
    """The local account for a verified identity, linking it at a first sign-in when the
    configured ``username_claim`` names a free, active account (see the module's rule)."""
    user = find_by_identity(s, issuer, subject)
    if user is not None:
        if not user.active:
            return SignInMatch(None, refused=f"account {user.username!r} is disabled")
        return SignInMatch(user)
    if not username_claim:
        return SignInMatch(None, refused=f"identity not linked (iss {issuer}, sub {subject})")
    name = _claimed_username(claims, username_claim)
    if name is None:
        return SignInMatch(None, refused=f"identity not linked and no usable {username_claim!r} "
                           f"claim (iss {issuer}, sub {subject})")  # fmt: skip
    user = s.scalar(select(User).where(User.username == name))
    if user is None:
        return SignInMatch(None, refused=f"no account named by {username_claim!r} "
                           f"(iss {issuer}, sub {subject})")  # fmt: skip
    if user.oidc_subject is not None:
        return SignInMatch(None, refused=f"account {user.username!r} is linked to another "
                           f"identity (iss {issuer}, sub {subject})")  # fmt: skip
    if not user.active:
        return SignInMatch(None, refused=f"account {user.username!r} is disabled")
    user.oidc_issuer, user.oidc_subject = issuer, subject
    s.flush()
    return SignInMatch(user, linked_now=True)


@dataclass(frozen=True)
class LinkChange:
    user: User
    #: The identity the account was linked to before, if any (replaced by this link).
    previous: tuple[str, str] | None


def link_account(s: Session, username: str, issuer: str, subject: str) -> LinkChange:
    """Link ``username`` to the identity (``iss``, ``sub``), as an admin does with ``hah users
    link-oidc``; an earlier link of that account is replaced. Raises ``OIDCLinkError`` when the
    account does not exist or the identity is linked to another account already."""
    issuer, subject = issuer.strip(), subject.strip()
    if not issuer or not subject:
        raise OIDCLinkError("both the issuer and the subject are needed")
    if len(issuer) > 255 or len(subject) > 255:
        raise OIDCLinkError("the issuer and the subject are at most 255 characters")
    user = s.scalar(select(User).where(User.username == username.strip()))
    if user is None:
        raise OIDCLinkError(f"no account named {username.strip()!r}")
    holder = find_by_identity(s, issuer, subject)
    if holder is not None and holder.id != user.id:
        raise OIDCLinkError(f"that identity is linked to {holder.username!r} already")
    previous = None
    if user.oidc_issuer is not None and user.oidc_subject is not None:
        previous = (user.oidc_issuer, user.oidc_subject)
    user.oidc_issuer, user.oidc_subject = issuer, subject
    s.flush()
    return LinkChange(user, previous)
