"""Signed-in sessions for the staff pages, kept server-side: the browser holds only a random token in
an httpOnly, SameSite cookie (Secure behind TLS), and every form carries the session's CSRF token.

A session ends on sign-out, after `session_idle_minutes` without a request, or after
`session_max_hours` whatever happens. One-time sign-in links (printed by the CLI and `ews run`) are
for local use and demos; schools sign in through their identity provider (oidc.py).
"""

from __future__ import annotations

import datetime as dt
import hmac
import secrets
from dataclasses import dataclass
from urllib.parse import urlencode

from sqlalchemy import Engine
from sqlmodel import Field, Session, SQLModel, select

from services.referrals.auth import Scope, scope_of
from services.referrals.staff import StaffMember
from shared.database import as_utc, timestamp
from shared.events import utcnow
from shared.tokens import hash_token

COOKIE = "ews_session"


class StaffSession(SQLModel, table=True):
    token_hash: str = Field(primary_key=True)
    staff_id: int = Field(foreign_key="staffmember.id", index=True)
    csrf_token: str
    created_at: dt.datetime = timestamp(default_factory=utcnow)
    last_seen_at: dt.datetime = timestamp(default_factory=utcnow)


class SignInLink(SQLModel, table=True):
    token_hash: str = Field(primary_key=True)
    staff_id: int = Field(foreign_key="staffmember.id")
    expires_at: dt.datetime = timestamp()
    used_at: dt.datetime | None = timestamp(default=None)


@dataclass(frozen=True)
class SessionRules:
    idle: dt.timedelta
    max_age: dt.timedelta


@dataclass(frozen=True)
class SignedIn:
    scope: Scope
    csrf_token: str


def issue_sign_in_link(session: Session, staff: StaffMember, minutes: int = 15) -> str:
    """A token for /sign-in/link/<token>: good once, for `minutes`."""
    token = secrets.token_urlsafe(32)
    session.add(
        SignInLink(token_hash=hash_token(token), staff_id=staff.id, expires_at=utcnow() + dt.timedelta(minutes=minutes))
    )
    return token


def redeem_link(session: Session, token: str) -> StaffMember | None:
    link = session.get(SignInLink, hash_token(token))
    if link is None or link.used_at is not None or as_utc(link.expires_at) <= utcnow():
        return None
    link.used_at = utcnow()
    session.add(link)
    return _usable(session.get(StaffMember, link.staff_id))


def staff_by_email(session: Session, email: str) -> StaffMember | None:
    """The staff member a verified identity-provider email names, if any may use the service."""
    return _usable(session.exec(select(StaffMember).where(StaffMember.email == email.lower())).first())


def _usable(staff: StaffMember | None) -> StaffMember | None:
    return staff if staff is not None and staff.revoked_at is None else None


def start(session: Session, staff: StaffMember) -> str:
    """A new session for `staff`; returns the cookie's value."""
    token = secrets.token_urlsafe(32)
    session.add(StaffSession(token_hash=hash_token(token), staff_id=staff.id, csrf_token=secrets.token_urlsafe(24)))
    return token


def resume(session: Session, token: str | None, rules: SessionRules) -> SignedIn | None:
    """The signed-in member of staff for a cookie, or None (unknown, idle too long, too old, revoked)."""
    if not token:
        return None
    row = session.get(StaffSession, hash_token(token))
    now = utcnow()
    if row is None or now - as_utc(row.last_seen_at) > rules.idle or now - as_utc(row.created_at) > rules.max_age:
        return None
    staff = _usable(session.get(StaffMember, row.staff_id))
    if staff is None:
        return None
    row.last_seen_at = now
    session.add(row)
    return SignedIn(scope_of(staff), row.csrf_token)


def end(session: Session, token: str | None) -> None:
    if token and (row := session.get(StaffSession, hash_token(token))) is not None:
        session.delete(row)


def csrf_ok(signed_in: SignedIn, submitted: str | None) -> bool:
    return submitted is not None and hmac.compare_digest(signed_in.csrf_token, submitted)


def sign_in_url(engine: Engine, public_url: str, name: str, *, minutes: int = 15, next_path: str = "/") -> str | None:
    """A one-time sign-in link for the live staff member with this name (the newest, if several), which
    then opens `next_path`."""
    with Session(engine) as session:
        staff = session.exec(
            select(StaffMember)
            .where(StaffMember.name == name, StaffMember.revoked_at.is_(None))
            .order_by(StaffMember.id.desc())
        ).first()
        if staff is None:
            return None
        token = issue_sign_in_link(session, staff, minutes)
        session.commit()
    return f"{public_url}/sign-in/link/{token}" + (f"?{urlencode({'next': next_path})}" if next_path != "/" else "")
