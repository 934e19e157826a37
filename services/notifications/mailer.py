"""Email over SMTP: rendering an alert's message and handing it to the relay.

Messages carry no names and no special-category or safeguarding detail: the alert's reasons
never hold any (the risk engine keeps them out), and the template adds none.
"""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage

from jinja2 import Environment, PackageLoader, StrictUndefined

from services.notifications.settings import Settings, SmtpSettings
from shared.alert_titles import title
from shared.events import RiskAlert

_templates = Environment(loader=PackageLoader("services.notifications"), undefined=StrictUndefined, autoescape=False)


def render_alert_email(alert: RiskAlert, settings: Settings, recipient: str) -> EmailMessage:
    rule_title = title(alert.rule, alert.band)
    message = EmailMessage()
    message["From"] = settings.sender
    message["To"] = recipient
    message["Subject"] = f"Attendance alert, {alert.transition}: {rule_title}"
    # The same id however often it is sent: a resend after a crash is recognisable as one message.
    message["Message-ID"] = f"<{alert.alert_id}.{alert.transition}@ews.invalid>"
    message.set_content(
        _templates.get_template("alert_email.txt").render(
            alert=alert,
            rule_title=rule_title,
            routes=", ".join(route.replace("_", " ") for route in alert.routes) or "pastoral check-in",
            referrals_url=settings.referrals_url,
        )
    )
    return message


def send(message: EmailMessage, smtp: SmtpSettings) -> None:
    """One SMTP conversation: STARTTLS first when configured, then authentication, then the message."""
    with smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout_s) as server:
        if smtp.starttls:
            server.starttls(context=ssl.create_default_context(cafile=smtp.ca_file))
        if smtp.oauth2_token is not None:
            server.ehlo()
            auth = f"user={smtp.username}\x01auth=Bearer {smtp.oauth2_token.get_secret_value()}\x01\x01"
            server.auth("XOAUTH2", lambda _challenge=None: auth, initial_response_ok=True)
        elif smtp.username and smtp.password is not None:
            server.login(smtp.username, smtp.password.get_secret_value())
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
