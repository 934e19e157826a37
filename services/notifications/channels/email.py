"""Email over SMTP: a plain-text and an HTML part, handed to the relay after STARTTLS and
authentication (password, or XOAUTH2 for Microsoft 365)."""

from __future__ import annotations

import contextlib
import smtplib
import ssl
import threading
from email.charset import QP, Charset
from email.header import Header
from email.message import EmailMessage
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.policy import compat32
from email.utils import formatdate

from services.notifications.channels import Message, RefusedForGood, TransientFailure
from services.notifications.settings import SmtpSettings

ON_THE_WIRE = compat32.clone(linesep="\r\n")  # smtplib sends bytes as they are: SMTP's lines end CRLF
READABLE_UTF8 = Charset("utf-8")
READABLE_UTF8.body_encoding = QP  # quoted-printable: a raw message (the demo's Maildir) reads as text


class EmailChannel:
    """Keeps one authenticated connection to the relay per sending thread: STARTTLS and a login for
    every message would cost more than the message."""

    def __init__(self, smtp: SmtpSettings, sender: str) -> None:
        self._smtp, self._sender = smtp, sender
        self._local = threading.local()

    def send(self, message: Message, address: str) -> None:
        try:
            mail = email_of(message, sender=self._sender, recipient=address).as_bytes(policy=ON_THE_WIRE)
            self._deliver(address, mail)
        except (smtplib.SMTPException, OSError) as error:
            reason = f"{type(error).__name__}: {error}"[:500]
            raise (RefusedForGood(reason) if refused_for_good(error) else TransientFailure(reason)) from error

    def _deliver(self, recipient: str, mail: bytes) -> None:
        server = getattr(self._local, "server", None)
        if server is not None:
            try:
                server.sendmail(self._sender, [recipient], mail)
                return
            except smtplib.SMTPServerDisconnected:
                pass  # the relay closed an idle connection: open another
            except BaseException:
                self._drop()
                raise
        self._local.server = connect(self._smtp)
        try:
            self._local.server.sendmail(self._sender, [recipient], mail)
        except BaseException:
            self._drop()
            raise

    def _drop(self) -> None:
        server, self._local.server = getattr(self._local, "server", None), None
        if server is not None:
            with contextlib.suppress(smtplib.SMTPException, OSError):
                server.close()


def email_of(message: Message, *, sender: str, recipient: str) -> MIMEMultipart:
    """Built with the email package's compat32 classes: five times faster than EmailMessage's, which
    parsed every header again and was the dispatcher's largest cost at 200 messages a second."""
    mail = MIMEMultipart("alternative")
    subject = message.subject if message.subject.isascii() else Header(message.subject, "utf-8")
    mail["From"], mail["To"], mail["Subject"] = sender, recipient, subject
    mail["Date"] = formatdate(localtime=False)
    # The same id however often it is sent: a resend after a crash is recognisable as one message.
    mail["Message-ID"] = f"<{message.reference}@ews.invalid>"
    mail.attach(MIMEText(message.text, "plain", READABLE_UTF8))
    mail.attach(MIMEText(message.html, "html", READABLE_UTF8))
    return mail


def connect(smtp: SmtpSettings) -> smtplib.SMTP:
    """A connection ready to send: STARTTLS first when configured, then authentication."""
    server = smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout_s)
    try:
        if smtp.starttls:
            server.starttls(context=ssl.create_default_context(cafile=smtp.ca_file))
        if smtp.oauth2_token is not None:
            server.ehlo()
            auth = f"user={smtp.username}\x01auth=Bearer {smtp.oauth2_token.get_secret_value()}\x01\x01"
            server.auth("XOAUTH2", lambda _challenge=None: auth, initial_response_ok=True)
        elif smtp.username and smtp.password is not None:
            server.login(smtp.username, smtp.password.get_secret_value())
    except BaseException:
        server.close()
        raise
    return server


def send(message: EmailMessage, smtp: SmtpSettings) -> None:
    """One SMTP conversation for one message."""
    with connect(smtp) as server:
        server.send_message(message)


def refused_for_good(error: BaseException) -> bool:
    """A 5xx for this message (unknown mailbox, policy): trying again will not help. Authentication
    failures and 4xx are the relay's or our configuration's, so they are retried until mended."""
    if isinstance(error, smtplib.SMTPAuthenticationError):
        return False
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _ in error.recipients.values())
    if isinstance(error, smtplib.SMTPResponseException):
        return error.smtp_code >= 500
    return False
