"""Local stand-ins for the channels' HTTP APIs, for tests and benchmarks on a machine with no
internet: GOV.UK Notify's v2 notifications API and a Teams Workflows webhook. Each is a real HTTP
server that checks what the client sends as the real service documents it, and answers the same
way (including 400, 403, 429 and 5xx when told to)."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt

from infra.local.readiness import free_port

JWT_LEEWAY_S = 30  # Notify refuses tokens issued more than 30 s away from its clock


@dataclass
class Received:
    path: str
    body: dict
    at: float


@dataclass
class NotifyKey:
    """A Notify API key: `{name}-{service id}-{secret}`; team keys send only to the team."""

    name: str
    key_type: str
    service_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    secret: str = field(default_factory=lambda: str(uuid.uuid4()))

    @property
    def api_key(self) -> str:
        return f"{self.name}-{self.service_id}-{self.secret}"


class _StandIn:
    def __init__(self) -> None:
        self.received: list[Received] = []
        self.forced: deque[tuple[int, dict]] = deque()  # answers to give next, before normal service
        self._lock = threading.Lock()
        self.port = free_port()
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name=type(self).__name__, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self):
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def force(self, status: int, body: dict, times: int = 1) -> None:
        self.forced.extend([(status, body)] * times)

    def answer(self, path: str, headers, body: bytes) -> tuple[int, dict | None]:
        raise NotImplementedError

    def _handler(self):
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as the real services speak

            def do_POST(self) -> None:  # noqa: N802 - http.server's hook name
                length = int(self.headers.get("Content-Length", 0))
                status, answer = stand_in.answer(self.path, self.headers, self.rfile.read(length))
                payload = json.dumps(answer).encode() if answer is not None else b""
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *_args) -> None:
                pass

        return Handler

    def _forced(self) -> tuple[int, dict] | None:
        with self._lock:
            return self.forced.popleft() if self.forced else None


def notify_error(status: int, error: str, message: str) -> dict:
    return {"status_code": status, "errors": [{"error": error, "message": message}]}


class NotifyStandIn(_StandIn):
    """POST /v2/notifications/email and /sms, authenticated by a JWT signed with the key's secret."""

    def __init__(self, keys: list[NotifyKey], team: set[str] = frozenset()) -> None:
        super().__init__()
        self.keys = {key.service_id: key for key in keys}
        self.team = set(team)

    def answer(self, path: str, headers, body: bytes) -> tuple[int, dict]:
        key, problem = self._authenticate(headers.get("Authorization", ""))
        if problem:
            return 403, notify_error(403, "AuthError", problem)
        forced = self._forced()
        if forced:
            return forced
        request = json.loads(body)
        kind = {"/v2/notifications/email": "email", "/v2/notifications/sms": "sms"}.get(path)
        if kind is None:
            return 404, notify_error(404, "NotFound", "Not found")
        to = request.get("email_address" if kind == "email" else "phone_number")
        if not to or not request.get("template_id"):
            return 400, notify_error(
                400,
                "ValidationError",
                f"{'email_address' if kind == 'email' else 'phone_number'} is a required property",
            )
        if key.key_type == "team" and to not in self.team:
            return 400, notify_error(400, "BadRequestError", "Can’t send to this recipient using a team-only API key")
        with self._lock:
            self.received.append(Received(path, {**request, "key_type": key.key_type}, time.time()))
        notification_id = str(uuid.uuid4())
        content = {"body": request.get("personalisation", {}).get("body", "")}
        if kind == "email":
            content |= {"subject": request.get("personalisation", {}).get("subject", ""), "from_email": "ews@notify"}
        return 201, {
            "id": notification_id,
            "reference": request.get("reference"),
            "content": content,
            "uri": f"{self.url}/v2/notifications/{notification_id}",
            "template": {
                "id": request["template_id"],
                "version": 1,
                "uri": f"{self.url}/templates/{request['template_id']}",
            },
        }

    def _authenticate(self, authorization: str) -> tuple[NotifyKey | None, str | None]:
        token = authorization.removeprefix("Bearer ").strip()
        if not token:
            return None, "Unauthorized: authentication token must be provided"
        try:
            service_id = jwt.decode(token, options={"verify_signature": False})["iss"]
            key = self.keys[service_id]
            claims = jwt.decode(token, key.secret, algorithms=["HS256"], options={"verify_iat": False})
        except (jwt.PyJWTError, KeyError):
            return None, "Invalid token: API key not found"
        if abs(time.time() - claims.get("iat", 0)) > JWT_LEEWAY_S:
            return None, "Error: Your system clock must be accurate to within 30 seconds"
        return key, None


class TeamsStandIn(_StandIn):
    """A Workflows webhook: takes a message whose one attachment is an Adaptive Card; answers 202."""

    def answer(self, path: str, headers, body: bytes) -> tuple[int, dict | None]:
        forced = self._forced()
        if forced:
            return forced
        try:
            request = json.loads(body)
            [attachment] = request["attachments"]
            card = attachment["content"]
            valid = (
                request["type"] == "message"
                and attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
                and card["type"] == "AdaptiveCard"
                and isinstance(card["body"], list)
            )
        except (ValueError, KeyError, TypeError):
            valid = False
        if not valid:
            return 400, {"error": {"code": "InvalidRequestContent", "message": "not an Adaptive Card message"}}
        with self._lock:
            self.received.append(Received(path, request, time.time()))
        return 202, None
