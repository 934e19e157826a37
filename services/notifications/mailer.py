"""Rendering and sending alert emails. Messages carry no names or health detail."""

from __future__ import annotations

import logging
import smtplib
from email.message import EmailMessage

from jinja2 import Environment, PackageLoader, StrictUndefined
from tenacity import before_sleep_log, retry, retry_if_exception_type, stop_after_attempt, wait_exponential_jitter

from services.notifications.settings import Settings
from shared.events import RiskAlert

log = logging.getLogger(__name__)
_templates = Environment(loader=PackageLoader("services.notifications"), undefined=StrictUndefined, autoescape=False)


def render_alert_email(alert: RiskAlert, settings: Settings) -> EmailMessage:
    rule_title = alert.rule.replace("_", " ")
    message = EmailMessage()
    message["From"] = settings.sender
    message["To"] = settings.recipient_template.format(school_urn=alert.school_urn)
    message["Subject"] = f"Attendance alert: {rule_title} ({alert.transition})"
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


@retry(
    retry=retry_if_exception_type((smtplib.SMTPException, OSError)),
    wait=wait_exponential_jitter(multiplier=0.5, max=5),
    stop=stop_after_attempt(4),
    before_sleep=before_sleep_log(log, logging.WARNING),
    reraise=True,
)
def send(message: EmailMessage, settings: Settings) -> None:
    with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=10) as smtp:
        smtp.send_message(message)
