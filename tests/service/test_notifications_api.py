"""The operations API of notifications (issues #10 and #13): the delivery log for the operations
role only, paged, naming no pupil, problem+json errors; the directory, with entries refused by
field; resending failed deliveries; Notify's delivery receipts."""

import pytest
from fastapi.testclient import TestClient

from services.notifications.app import create_app
from services.notifications.operators import issue_operator_token, revoke_operator
from services.notifications.routing import RecipientRole as R
from services.notifications.settings import NotifySettings, SmtpSettings
from shared.settings import KafkaSettings
from tests.factories import SCHOOL_A, risk_alert
from tests.notifications_support import notifications_in

CALLBACK_TOKEN = "callback-secret-0123456789"


@pytest.fixture
def notifications(tmp_path):
    n = notifications_in(tmp_path)
    n.add("LA attendance team", R.LA_ATTENDANCE_OFFICER, school=None, address="team@la.example")
    n.take(*[risk_alert(f"p{i}", band="severe_absence") for i in range(5)])
    app = create_app(n.settings, KafkaSettings(), SmtpSettings(), NotifySettings(callback_token=CALLBACK_TOKEN))
    with TestClient(app) as client:
        client.headers["Authorization"] = f"Bearer {issue_operator_token(n.engine, 'ops')}"
        yield client, n


def test_the_delivery_log_needs_an_operations_token(notifications):
    client, _ = notifications
    for headers in ({"Authorization": ""}, {"Authorization": "Bearer guess"}):
        response = client.get("/v1/deliveries", headers=headers)
        assert response.status_code == 401 and response.headers["content-type"] == "application/problem+json"


def test_the_delivery_log_is_paged_and_names_no_pupil(notifications):
    client, _ = notifications
    page = client.get("/v1/deliveries?limit=2").json()
    rows = page["items"]
    while page["next"]:
        page = client.get(page["next"]).json()
        rows += page["items"]
    assert len(rows) == 5 and len({row["id"] for row in rows}) == 5
    assert all("pupil_id" not in row and "payload" not in row for row in rows)
    assert client.get("/v1/deliveries?pupil_id=p1").status_code == 422


def test_a_revoked_operator_token_is_refused(notifications):
    client, n = notifications
    token = issue_operator_token(n.engine, "other")
    assert revoke_operator(n.engine, "other") == 1
    assert client.get("/v1/deliveries", headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_the_directory_takes_complete_entries_and_names_what_is_missing(notifications):
    client, _ = notifications
    entry = {"name": "Head of year 9", "role": "head_of_year", "school_urn": SCHOOL_A, "year_group": 9,
             "channel": "teams", "address": "https://prod.workflows.example/hook"}  # fmt: skip
    made = client.post("/v1/recipients", json=entry)
    assert made.status_code == 201 and made.json()["timing"] == "as_routed"
    for broken, named in (
        ({"year_group": None}, "needs year_group"),
        ({"address": "not a url"}, "Teams Workflows webhook URL"),
        ({"channel": "notify_sms", "address": "12345"}, "UK mobile number"),
        ({"school_urn": None}, "needs the school_urn"),
        ({"quiet_hours": "evenings"}, "quiet_hours"),
    ):
        response = client.post("/v1/recipients", json={**entry, **broken})
        assert response.status_code == 422 and named in response.text, (broken, response.text)
    listed = client.get(f"/v1/recipients?school_urn={SCHOOL_A}").json()["items"]
    assert [row["name"] for row in listed] == ["Head of year 9"]
    assert client.delete(f"/v1/recipients/{listed[0]['id']}").status_code == 204
    assert client.get(f"/v1/recipients?school_urn={SCHOOL_A}").json()["items"] == []
    assert client.delete(f"/v1/recipients/{listed[0]['id']}").status_code == 404


def test_a_failed_delivery_is_resent_once_and_only_failed_ones_are(notifications):
    client, n = notifications
    n.channel.refuse.add("team@la.example")
    n.dispatch()
    failed = client.get("/v1/deliveries?status=failed").json()["items"]
    assert len(failed) == 5
    n.channel.refuse.clear()
    resent = client.post(f"/v1/deliveries/{failed[0]['id']}/resend")
    assert resent.status_code == 200 and resent.json()["status"] == "pending" and resent.json()["attempts"] == 0
    n.dispatch()
    assert len(n.channel.to("team@la.example")) == 1
    again = client.post(f"/v1/deliveries/{failed[0]['id']}/resend")
    assert again.status_code == 409 and "only failed deliveries" in again.json()["detail"]
    assert client.post("/v1/deliveries/999999/resend").status_code == 404


def test_notify_receipts_are_recorded_and_a_permanent_failure_can_be_resent(notifications):
    client, n = notifications
    n.dispatch()
    first = client.get("/v1/deliveries").json()["items"][0]
    receipt = {"id": first["channel_reference"], "reference": f"delivery-{first['id']}", "status": "delivered",
               "to": "team@la.example", "notification_type": "email"}  # fmt: skip
    assert (
        client.post("/v1/notify/callback", json=receipt, headers={"Authorization": "Bearer wrong"}).status_code == 401
    )
    callback = {"Authorization": f"Bearer {CALLBACK_TOKEN}"}
    assert client.post("/v1/notify/callback", json=receipt, headers=callback).status_code == 204
    assert client.get("/v1/deliveries").json()["items"][0]["channel_status"] == "delivered"
    second = client.get("/v1/deliveries").json()["items"][1]
    failed = {**receipt, "id": second["channel_reference"], "status": "permanent-failure"}
    assert client.post("/v1/notify/callback", json=failed, headers=callback).status_code == 204
    row = client.get("/v1/deliveries").json()["items"][1]
    assert row["status"] == "failed" and row["channel_status"] == "permanent-failure"


def test_health_says_which_notify_key_is_in_use(notifications):
    client, n = notifications
    assert client.get("/health").json()["notify_key"] == "off"  # no Notify key: its channels are off
    notify = NotifySettings(api_key="live-" + "0" * 36 + "-" + "1" * 36, key_type="test")
    with TestClient(create_app(n.settings, KafkaSettings(), SmtpSettings(), notify)) as other:
        assert other.get("/health").json()["notify_key"] == "test"
