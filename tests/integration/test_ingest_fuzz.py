"""Schemathesis generates valid and malformed requests from ingest's OpenAPI spec; none may get a 5xx.

The broker is real and reachable, so a request that passes validation is published and answered 202.
(schemathesis' pytest plugin does not run under pytest 9, so each operation's strategy is driven
with hypothesis directly.)
"""

import itertools

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error

pytestmark = pytest.mark.integration
SCHOOLS = ["123456", "000001"]


def test_no_input_gets_a_server_error(stack):
    headers = {"Authorization": f"Bearer {stack.connector_key('fuzz', SCHOOLS)}"}
    stack.env["INGEST_RATE_LIMIT"] = "100000/minute"
    stack.start("ingest")
    schema = schemathesis.openapi.from_url(f"{stack.url('ingest')}/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert {op.path for op in operations} == {
        "/v1/marks",
        "/v1/marks/csv",
        "/v1/pupils",
        "/v1/contacts",
        "/v1/calendars",
        "/v1/activities",
        "/v1/activities/csv",
        "/v1/activities/attendance",
        "/v1/activities/attendance/csv",
    }
    statuses: set[int] = set()
    for operation, mode in itertools.product(operations, (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)):

        @settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        @given(case=operation.as_strategy(generation_mode=mode))
        def call(case):
            response = case.call_and_validate(headers=headers, checks=[not_a_server_error])
            statuses.add(response.status_code)

        call()
    assert 202 in statuses and 422 in statuses  # both valid and invalid input were exercised
