"""Serving an app for real on loopback (for a browser or an OIDC redirect), and a local OpenID
Connect provider that signs people in without asking, as a school's identity provider would once
they had."""

from __future__ import annotations

import base64
import hashlib
import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlencode

import uvicorn
from fastapi import FastAPI, Form
from fastapi.responses import JSONResponse, RedirectResponse
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey

from infra.local.readiness import free_port, wait_until


@contextmanager
def serving(app: FastAPI) -> Iterator[str]:
    """The app on a loopback port, in a thread; yields its base URL."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    wait_until(lambda: server.started, 30, "the test server to start", interval_s=0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


class OidcProvider:
    """Discovery, authorise (signs in `email` at once), token (an RS256 ID token with the nonce) and JWKS."""

    def __init__(self, email: str, client_id: str = "ews-test", *, verified: bool = True) -> None:
        self.email, self.client_id, self.verified = email, client_id, verified
        self.key = RSAKey.generate_key(2048, parameters={"kid": "test-key"})
        self.codes: dict[str, dict] = {}
        self.issuer = ""
        self.app = self._build()

    def _build(self) -> FastAPI:
        app = FastAPI()

        @app.get("/.well-known/openid-configuration")
        def discovery():
            return {
                "issuer": self.issuer,
                "authorization_endpoint": f"{self.issuer}/authorize",
                "token_endpoint": f"{self.issuer}/token",
                "jwks_uri": f"{self.issuer}/jwks",
                "response_types_supported": ["code"],
                "id_token_signing_alg_values_supported": ["RS256"],
            }

        @app.get("/authorize")
        def authorize(redirect_uri: str, state: str, nonce: str, client_id: str, code_challenge: str):
            code = secrets.token_urlsafe(16)
            self.codes[code] = {"nonce": nonce, "client_id": client_id, "challenge": code_challenge}
            return RedirectResponse(f"{redirect_uri}?{urlencode({'code': code, 'state': state})}", status_code=302)

        @app.post("/token")
        def token(code: str = Form(), code_verifier: str = Form()):
            grant = self.codes.pop(code)
            challenge = base64.urlsafe_b64encode(hashlib.sha256(code_verifier.encode()).digest()).rstrip(b"=").decode()
            if challenge != grant["challenge"]:  # the client must prove it started this sign-in (PKCE)
                return JSONResponse({"error": "invalid_grant"}, status_code=400)
            now = int(time.time())
            claims = {"iss": self.issuer, "aud": grant["client_id"], "sub": "staff-1", "iat": now, "exp": now + 300,
                      "nonce": grant["nonce"], "email": self.email, "email_verified": self.verified}  # fmt: skip
            id_token = jwt.encode({"alg": "RS256", "kid": "test-key"}, claims, self.key)
            return {"access_token": secrets.token_urlsafe(16), "token_type": "Bearer", "id_token": id_token}

        @app.get("/jwks")
        def jwks():
            return KeySet([self.key]).as_dict(private=False)

        return app

    @contextmanager
    def running(self) -> Iterator[str]:
        with serving(self.app) as url:
            self.issuer = url
            yield url
