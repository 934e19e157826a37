"""GOV.UK Notify and Microsoft Teams through their real clients and protocols, against local
stand-in servers that check requests as the services do (issue #13): Notify's JWT and payload,
its key types, 429 and 5xx; a Teams Workflows webhook's Adaptive Card."""

import pytest

from infra.local.standins import NotifyKey, NotifyStandIn, TeamsStandIn, notify_error
from services.notifications.channels import Message, RefusedForGood, TransientFailure
from services.notifications.channels.notify import NotifyChannel
from services.notifications.channels.teams import TeamsChannel
from services.notifications.dispatch import Dispatcher
from services.notifications.models import Channel, DeliveryStatus
from services.notifications.routing import RecipientRole
from tests.factories import risk_alert
from tests.notifications_support import notifications_in

LIVE, TEAM, TEST = NotifyKey("live", "live"), NotifyKey("team", "team"), NotifyKey("test", "test")
MESSAGE = Message(
    reference="delivery-1",
    subject="Attendance alert",
    text="A pupil needs attention.",
    html="<p>",
    link="https://ews.example/alerts/1",
    short_text="Attendance alert. Open: https://ews.example/",
)


@pytest.fixture
def notify():
    server = NotifyStandIn([LIVE, TEAM, TEST], team={"lead@school.example"}).start()
    yield server
    server.stop()


@pytest.fixture
def teams():
    server = TeamsStandIn().start()
    yield server
    server.stop()


def channel(server, key: NotifyKey = LIVE, sms: bool = False) -> NotifyChannel:
    return NotifyChannel(api_key=key.api_key, base_url=server.url, email_template_id="email-template",
                         sms_template_id="sms-template", sms=sms)  # fmt: skip


def test_notify_email_carries_the_template_personalisation_and_our_reference(notify):
    notification_id = channel(notify).send(MESSAGE, "lead@school.example")
    [request] = notify.received
    assert request.path == "/v2/notifications/email" and request.body["template_id"] == "email-template"
    assert request.body["personalisation"] == {"subject": "Attendance alert", "body": "A pupil needs attention.",
                                               "link": "https://ews.example/alerts/1"}  # fmt: skip
    assert request.body["reference"] == "delivery-1" and len(notification_id) == 36


def test_notify_sms_sends_the_short_text(notify):
    channel(notify, sms=True).send(MESSAGE, "07700900123")
    [request] = notify.received
    assert request.path == "/v2/notifications/sms" and request.body["phone_number"] == "07700900123"
    assert request.body["personalisation"] == {"body": MESSAGE.short_text}


def test_a_key_notify_does_not_know_is_refused_and_retried_until_mended(notify):
    stranger = NotifyKey("live", "live")
    with pytest.raises(TransientFailure, match="403"):
        channel(notify, key=stranger).send(MESSAGE, "lead@school.example")
    assert notify.received == []


def test_a_team_key_sends_to_the_team_and_is_refused_for_good_for_anyone_else(notify):
    channel(notify, key=TEAM).send(MESSAGE, "lead@school.example")
    with pytest.raises(RefusedForGood, match="team-only API key"):
        channel(notify, key=TEAM).send(MESSAGE, "parent@home.example")
    assert [r.body["email_address"] for r in notify.received] == ["lead@school.example"]


@pytest.mark.parametrize("status, error", [(429, "RateLimitError"), (500, "Exception"), (503, "Exception")])
def test_rate_limits_and_server_errors_are_worth_another_try(notify, status, error):
    notify.force(status, notify_error(status, error, "try later"))
    with pytest.raises(TransientFailure, match=str(status)):
        channel(notify).send(MESSAGE, "lead@school.example")


def test_the_dispatcher_rides_out_a_burst_of_429s_with_quick_retries(tmp_path, notify):
    n = notifications_in(tmp_path, quick_retries=4)
    n.add("Lead", RecipientRole.ATTENDANCE_LEAD, channel=Channel.NOTIFY_EMAIL, address="lead@school.example")
    notify.force(429, notify_error(429, "RateLimitError", "Exceeded rate limit"), times=2)
    n.take(risk_alert(band="severe_absence"))
    Dispatcher(n.engine, n.settings, {Channel.NOTIFY_EMAIL: channel(notify)}, n.letters.append).dispatch_due()
    [delivery] = n.deliveries()
    assert delivery.status == DeliveryStatus.SENT and delivery.attempts == 1 and len(notify.received) == 1
    assert len(delivery.channel_reference) == 36  # Notify's notification id, for its delivery receipts


def test_teams_gets_an_adaptive_card(teams):
    card = {"type": "AdaptiveCard", "version": "1.4", "body": [{"type": "TextBlock", "text": "Attendance alert"}]}
    TeamsChannel().send(Message(**{**MESSAGE.__dict__, "card": card}), f"{teams.url}/workflows/abc")
    [request] = teams.received
    assert request.path == "/workflows/abc" and request.body["attachments"][0]["content"] == card


def test_teams_refusals_and_throttling(teams):
    teams.force(429, {"error": "throttled"})
    with pytest.raises(TransientFailure, match="429"):
        TeamsChannel().send(MESSAGE, f"{teams.url}/workflows/abc")
    with pytest.raises(RefusedForGood, match="400"):
        TeamsChannel().send(MESSAGE, f"{teams.url}/workflows/abc")  # an empty card is not a card
    with pytest.raises(TransientFailure, match="unreachable"):
        TeamsChannel(timeout_s=1).send(MESSAGE, "http://127.0.0.1:9/nothing-listens")
