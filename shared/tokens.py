"""Bearer tokens for machines and people: random, shown once, stored only as a hash, expiring, revocable."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from typing import Protocol

from shared.database import as_utc


def hash_token(token: str) -> str:
    # Tokens are 256-bit random secrets, so a fast hash is enough: nothing to brute-force.
    return hashlib.sha256(token.encode()).hexdigest()


def new_token(prefix: str = "") -> tuple[str, str]:
    """(the token to show once, the hash to store)."""
    token = prefix + secrets.token_urlsafe(32)
    return token, hash_token(token)


class TokenHolder(Protocol):
    revoked_at: dt.datetime | None
    expires_at: dt.datetime | None


def token_problem(holder: TokenHolder | None, now: dt.datetime) -> str | None:
    """Why the token of `holder` (None: no holder has it) may not be used, or None."""
    if holder is None:
        return "unknown token"
    if holder.revoked_at is not None:
        return "this token was revoked"
    if holder.expires_at is not None and as_utc(holder.expires_at) <= now:
        return "this token expired; ask for a new one"
    return None


def bearer(authorization: str | None) -> str | None:
    """The token of an `Authorization: Bearer <token>` header, or None."""
    scheme, _, token = (authorization or "").partition(" ")
    return token if scheme.lower() == "bearer" and token else None
