"""GOV.UK Notify through its maintained client. Messages use two templates the service sets up in
Notify (an email with ((subject)), ((body)) and ((link)); a text message with ((body))), so the
wording is ours and Notify's template only lays it out.

Key types: a live key sends; a team key sends only to the service's team members (anyone else is
refused with a 400); a test key accepts and never delivers. The key in use is declared in the
settings and shown on /health, so a test key left in production is seen; Notify decides the rest."""

from __future__ import annotations

import threading

from notifications_python_client.errors import HTTPError
from notifications_python_client.notifications import NotificationsAPIClient

from services.notifications.channels import Message, RefusedForGood, TransientFailure


class NotifyChannel:
    def __init__(self, *, api_key: str, base_url: str, email_template_id: str, sms_template_id: str, sms: bool) -> None:
        self._api_key, self._base_url = api_key, base_url
        self._email_template_id, self._sms_template_id, self._sms = email_template_id, sms_template_id, sms
        self._local = threading.local()  # the client holds a requests session and is not thread-safe

    def _client(self) -> NotificationsAPIClient:
        client = getattr(self._local, "client", None)
        if client is None:
            client = self._local.client = NotificationsAPIClient(self._api_key, base_url=self._base_url, timeout=10)
        return client

    def send(self, message: Message, address: str) -> str:
        try:
            if self._sms:
                answer = self._client().send_sms_notification(
                    address, self._sms_template_id, personalisation={"body": message.short_text},
                    reference=message.reference,
                )  # fmt: skip
            else:
                answer = self._client().send_email_notification(
                    address,
                    self._email_template_id,
                    personalisation={"subject": message.subject, "body": message.text, "link": message.link},
                    reference=message.reference,
                )
        except HTTPError as error:
            raise failure_of(error) from error
        return answer["id"]


def failure_of(error: HTTPError) -> Exception:
    """429 (rate or daily limit) and 5xx pass; 403 is our key, mended by an operator, so retried too;
    400 (a bad number or address, a team key's stranger) is final for this message."""
    status = error.status_code
    text = f"Notify answered {status}: {error.message}"
    if status == 400:
        return RefusedForGood(text)
    return TransientFailure(text)
