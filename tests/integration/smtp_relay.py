"""A local SMTP relay that insists on STARTTLS and authentication, as a production relay does, with its
own certificate authority."""

import base64
import ssl

import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from infra.local.readiness import free_port

USER, PASSWORD, TOKEN = "alerts@borough.example", "correct horse", "access-token-123"


class Relay:
    """Keeps accepted messages, and who authenticated how."""

    def __init__(self) -> None:
        self.messages: list[bytes] = []
        self.logins: list[str] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        self.messages.append(envelope.content)
        return "250 OK"

    async def auth_XOAUTH2(self, server, args):  # noqa: N802 - aiosmtpd's mechanism hook
        fields = dict(part.split("=", 1) for part in base64.b64decode(args[1]).decode().split("\x01") if "=" in part)
        ok = fields.get("user") == USER and fields.get("auth") == f"Bearer {TOKEN}"
        if ok:
            self.logins.append("XOAUTH2")
        return AuthResult(success=ok, handled=False)


def check_password(server, session, envelope, mechanism, auth_data):
    ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
        USER.encode(),
        PASSWORD.encode(),
    )
    if ok:
        server.event_handler.logins.append(mechanism)
    return AuthResult(success=ok, handled=False)  # not handled: aiosmtpd answers 535 itself


def start_relay(folder):
    """The relay's handler and controller, and the CA file that verifies it (written into `folder`)."""
    ca = trustme.CA()
    ca.cert_pem.write_to_path(str(folder / "ca.pem"))
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(server_tls)
    handler = Relay()
    controller = Controller(
        handler,
        hostname="127.0.0.1",
        port=free_port(),
        tls_context=server_tls,
        require_starttls=True,
        auth_required=True,
        authenticator=check_password,
    )
    controller.start()
    return handler, controller, folder / "ca.pem"
