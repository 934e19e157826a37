"""Email through a real local SMTP server that insists on STARTTLS and authentication, as a production
relay does (issue #10, item 8): password login, and XOAUTH2 for Microsoft 365."""

import email
import email.policy
import smtplib
from email.message import EmailMessage

import pytest

from services.notifications.channels import Message
from services.notifications.channels.email import EmailChannel, send
from services.notifications.settings import SmtpSettings
from tests.integration.smtp_relay import PASSWORD, TOKEN, USER


def message() -> EmailMessage:
    mail = EmailMessage()
    mail["From"], mail["To"], mail["Subject"] = USER, "lead@school.example", "Attendance alert"
    mail.set_content("A pupil at your school needs attention today.")
    return mail


def test_password_login_after_starttls(relay):
    handler, port, ca_file = relay
    send(
        message(),
        SmtpSettings(host="127.0.0.1", port=port, starttls=True, ca_file=ca_file, username=USER, password=PASSWORD),
    )
    assert len(handler.messages) == 1 and handler.logins in (["PLAIN"], ["LOGIN"])


def test_xoauth2_after_starttls(relay):
    handler, port, ca_file = relay
    send(
        message(),
        SmtpSettings(host="127.0.0.1", port=port, starttls=True, ca_file=ca_file, username=USER, oauth2_token=TOKEN),
    )
    assert len(handler.messages) == 1 and handler.logins == ["XOAUTH2"]


def test_a_relay_that_requires_starttls_refuses_plain_text(relay):
    handler, port, _ = relay
    with pytest.raises(smtplib.SMTPException):
        send(message(), SmtpSettings(host="127.0.0.1", port=port, username=USER, password=PASSWORD))
    assert handler.messages == []


def test_a_wrong_password_is_refused(relay):
    handler, port, ca_file = relay
    with pytest.raises(smtplib.SMTPAuthenticationError):
        send(
            message(),
            SmtpSettings(host="127.0.0.1", port=port, starttls=True, ca_file=ca_file, username=USER, password="nope"),
        )
    assert handler.messages == []


def test_the_email_channel_sends_plain_text_and_html_with_a_stable_message_id(relay):
    handler, port, ca_file = relay
    smtp = SmtpSettings(host="127.0.0.1", port=port, starttls=True, ca_file=ca_file, username=USER, password=PASSWORD)
    message = Message(reference="delivery-7", subject="Attendance alert", text="A pupil needs attention.",
                      html="<p>A pupil needs attention.</p>", link="https://ews.example/", short_text="")  # fmt: skip
    EmailChannel(smtp, sender=USER).send(message, "lead@school.example")
    [raw] = handler.messages
    mail = email.message_from_bytes(raw, policy=email.policy.default)
    assert mail["Message-ID"] == "<delivery-7@ews.invalid>" and mail.get_content_type() == "multipart/alternative"
    assert [part.get_content_type() for part in mail.iter_parts()] == ["text/plain", "text/html"]


def test_the_email_channel_keeps_its_connection_and_logs_in_once(relay):
    handler, port, ca_file = relay
    smtp = SmtpSettings(host="127.0.0.1", port=port, starttls=True, ca_file=ca_file, username=USER, password=PASSWORD)
    channel = EmailChannel(smtp, sender=USER)
    message = Message(reference="delivery-8", subject="Attendance alert", text="A pupil needs attention.",
                      html="<p>A pupil needs attention.</p>", link="https://ews.example/", short_text="")  # fmt: skip
    for address in ("lead@school.example", "hoy9@school.example", "dsl@school.example"):
        channel.send(message, address)
    assert len(handler.messages) == 3 and len(handler.logins) == 1


def test_a_long_message_goes_with_smtp_line_endings(relay):
    handler, port, ca_file = relay
    smtp = SmtpSettings(host="127.0.0.1", port=port, starttls=True, ca_file=ca_file, username=USER, password=PASSWORD)
    text = "\n".join(f"- Raised, risk {n}: absent 9 of the last 20 sessions" for n in range(200))
    message = Message(reference="delivery-9", subject="Attendance digest", text=text, html=f"<pre>{text}</pre>",
                      link="https://ews.example/", short_text="")  # fmt: skip
    EmailChannel(smtp, sender=USER).send(message, "lead@school.example")
    [raw] = handler.messages
    plain = next(email.message_from_bytes(raw, policy=email.policy.default).iter_parts())
    assert plain.get_content().replace("\r\n", "\n").rstrip("\n") == text
