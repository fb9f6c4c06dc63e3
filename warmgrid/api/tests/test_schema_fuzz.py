"""Fuzzing every operation from the OpenAPI document (schemathesis), as a grid worker:
no 5xx, every answer has a documented status and conforms to its schema, anonymous calls
are refused, and input the schema rules out is refused."""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from warmgrid.wsgi import application

schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)
# We send the token ourselves; unknown query parameters are ignored, as is usual.
schema.config.generation.update(with_security_parameters=False, allow_extra_parameters=False)


@pytest.fixture
def wsgi_calls_share_the_test_transaction():
    """Called through WSGI, Django would close the connection after each request (as the
    test client prevents too), ending the test's transaction on PostgreSQL."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@schema.parametrize()
@settings(max_examples=20, deadline=None, database=None,
          suppress_health_check=list(HealthCheck))
def test_the_api_keeps_its_schema(case, world, api_token, wsgi_calls_share_the_test_transaction):
    token = api_token(world.worker_a)
    # Schema-valid input may still break a domain rule (an ID number's check digit, a
    # duplicate room): a 4xx then is right, so "valid data must be accepted" is left out.
    case.call_and_validate(headers={"Authorization": f"Bearer {token}"},
                           excluded_checks=[positive_data_acceptance])
