"""Every FastAPI service counts and times its requests by route template and status class: an id in a
path never becomes a label (it would be a pupil's record and an unbounded series)."""

from services.referrals.staff import Role
from tests.service.referrals_support import headers_for


def test_requests_are_counted_by_route_template_and_status_class_never_by_id(referrals):
    client, _ = referrals
    headers = headers_for(referrals, Role.LA_ATTENDANCE_OFFICER)
    assert client.get("/v1/cases/987654", headers=headers).status_code == 404
    assert client.get("/v1/cases", headers=headers).status_code == 200
    client.get("/wp-login.php")  # no route: no series
    text = client.get("/metrics").text
    counted = [line for line in text.splitlines() if line.startswith("http_requests_total{")]
    assert any('handler="/v1/cases/{case_id}"' in line and 'status="4xx"' in line for line in counted)
    assert any('handler="/v1/cases"' in line and 'status="2xx"' in line for line in counted)
    # The series' names and labels, not their values: a duration or a start time may hold the digits.
    labels = " ".join(line.rsplit("}", 1)[0] for line in text.splitlines() if "{" in line)
    assert "987654" not in labels and "wp-login" not in labels
    assert 'handler="/v1/cases/{case_id}"' in text.split("http_request_duration_seconds_bucket", 1)[1]
