"""Signing in through the school's identity provider (Microsoft Entra ID, Google Workspace) with
OpenID Connect: authorisation code flow with PKCE, state and nonce, using authlib's client and
joserfc to verify the ID token against the provider's published keys. The verified email names
the staff member (`StaffMember.email`); nobody else gets in."""

from __future__ import annotations

import datetime as dt
import secrets

import httpx
from authlib.integrations.httpx_client import AsyncOAuth2Client
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from sqlmodel import Field, Session, SQLModel

from services.referrals.settings import Settings
from shared.database import as_utc, timestamp
from shared.events import utcnow
from shared.problems import DomainError

HANDSHAKE_MINUTES = 10


class SignInFailed(DomainError):
    status = 401


class OidcHandshake(SQLModel, table=True):
    """What the callback must match: the state sent, its nonce and PKCE verifier, and where to go next."""

    state: str = Field(primary_key=True)
    nonce: str
    code_verifier: str
    next_path: str = "/"
    created_at: dt.datetime = timestamp(default_factory=utcnow)


class Provider:
    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._metadata: dict | None = None

    @property
    def enabled(self) -> bool:
        return bool(self._settings.oidc_issuer and self._settings.oidc_client_id)

    def _client(self) -> AsyncOAuth2Client:
        secret = self._settings.oidc_client_secret
        return AsyncOAuth2Client(
            client_id=self._settings.oidc_client_id,
            client_secret=secret.get_secret_value() if secret else None,
            scope="openid email profile",
            redirect_uri=f"{self._settings.public_url}/sign-in/oidc/callback",
            code_challenge_method="S256",
        )

    async def metadata(self) -> dict:
        if self._metadata is None:
            url = f"{self._settings.oidc_issuer.rstrip('/')}/.well-known/openid-configuration"
            async with httpx.AsyncClient(timeout=10) as http:
                self._metadata = (await http.get(url)).raise_for_status().json()
        return self._metadata

    async def begin(self, session: Session, next_path: str) -> str:
        """The provider's authorisation URL to send the browser to."""
        nonce, verifier = secrets.token_urlsafe(24), secrets.token_urlsafe(48)
        async with self._client() as client:
            url, state = client.create_authorization_url(
                (await self.metadata())["authorization_endpoint"], nonce=nonce, code_verifier=verifier
            )
        session.add(OidcHandshake(state=state, nonce=nonce, code_verifier=verifier, next_path=next_path))
        return url

    async def finish(self, session: Session, state: str, code: str) -> tuple[str, str]:
        """The verified email of the person who signed in, and where they were going."""
        handshake = session.get(OidcHandshake, state)
        if handshake is None or utcnow() - as_utc(handshake.created_at) > dt.timedelta(minutes=HANDSHAKE_MINUTES):
            raise SignInFailed("that sign-in was not started here, or took too long: sign in again")
        session.delete(handshake)
        metadata = await self.metadata()
        async with self._client() as client:
            tokens = await client.fetch_token(
                metadata["token_endpoint"], code=code, code_verifier=handshake.code_verifier, state=state
            )
        claims = await self._verified_claims(tokens.get("id_token"), handshake.nonce)
        if not claims.get("email") or claims.get("email_verified") is False:
            raise SignInFailed("your identity provider did not give a verified email address")
        return claims["email"], handshake.next_path

    async def _verified_claims(self, id_token: str | None, nonce: str) -> dict:
        if not id_token:
            raise SignInFailed("the identity provider sent no ID token")
        metadata = await self.metadata()
        async with httpx.AsyncClient(timeout=10) as http:
            keys = KeySet.import_key_set((await http.get(metadata["jwks_uri"])).raise_for_status().json())
        try:
            token = jwt.decode(id_token, keys, algorithms=["RS256", "ES256"])
            jwt.JWTClaimsRegistry(
                iss={"essential": True, "value": metadata["issuer"]},
                aud={"essential": True, "value": self._settings.oidc_client_id},
                nonce={"essential": True, "value": nonce},
                exp={"essential": True},
            ).validate(token.claims)
        except (JoseError, ValueError) as error:
            raise SignInFailed(f"the ID token did not verify: {type(error).__name__}") from error
        return token.claims
