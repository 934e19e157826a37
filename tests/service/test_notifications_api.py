"""The delivery log is for the operations role only, paged, and errors are problem+json (issue #10, items 6, 13)."""

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from services.notifications.app import create_app, open_database
from services.notifications.intake import take_alert
from services.notifications.operators import issue_operator_token, revoke_operator
from services.notifications.settings import Settings, SmtpSettings
from shared.settings import KafkaSettings
from tests.factories import risk_alert


@pytest.fixture
def notifications(tmp_path):
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'n.db'}", consumer_enabled=False)
    engine = open_database(settings)
    with Session(engine) as session:
        for n in range(5):
            take_alert(session, risk_alert(f"p{n}"), settings)
        session.commit()
    with TestClient(create_app(settings, KafkaSettings(), SmtpSettings())) as client:
        yield client, engine


def test_the_delivery_log_needs_an_operations_token(notifications):
    client, _ = notifications
    for headers in ({}, {"Authorization": "Bearer guess"}):
        response = client.get("/v1/deliveries", headers=headers)
        assert response.status_code == 401 and response.headers["content-type"] == "application/problem+json"


def test_the_delivery_log_is_paged_and_names_no_pupil(notifications):
    client, engine = notifications
    operator = {"Authorization": f"Bearer {issue_operator_token(engine, 'ops')}"}
    page = client.get("/v1/deliveries?limit=2", headers=operator).json()
    rows = page["items"]
    while page["next"]:
        page = client.get(page["next"], headers=operator).json()
        rows += page["items"]
    assert len(rows) == 5 and len({row["id"] for row in rows}) == 5
    assert all("pupil_id" not in row and "payload" not in row for row in rows)
    assert client.get("/v1/deliveries?pupil_id=p1", headers=operator).status_code == 422


def test_a_revoked_operator_token_is_refused(notifications):
    client, engine = notifications
    token = issue_operator_token(engine, "ops")
    assert revoke_operator(engine, "ops") == 1
    assert client.get("/v1/deliveries", headers={"Authorization": f"Bearer {token}"}).status_code == 401
