"""A bounded schemathesis pass over every operation of the API, as two staff accounts with bearer tokens
(a city clerk and a back-office reviewer): no 5xx, every status code and every response body declared in
the OpenAPI document. Bounded to fit CI: a fixed number of examples per operation, derandomised."""

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance, status_code_conformance

from tests import factories
from tongban.org.models import ApiToken
from tongban.wsgi import application

schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
EXAMPLES = 15  # per operation: 115 operations on two databases must fit the CI budget


@pytest.fixture(autouse=True)
def keep_the_test_connection():
    """The WSGI app is called directly (as Django's test client does, the request signals must not close the
    test's own database connection, which holds its transaction)."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def tokens(db, admin):
    """Two staff and something to find: a published item, a received case."""
    from tongban.cases import services
    from tongban.core.identifiers import make_uscc

    item = factories.make_item(admin)
    clerk = factories.grant(factories.UserFactory(), "window_clerk")
    reviewer = factories.grant(factories.UserFactory(), "reviewer", department=item.department)
    firm = services.register_applicant(clerk, kind="org", id_number=make_uscc("370811", 7001, authority="9", kind="2"), name="济宁市任城区鲁味轩餐饮店")
    services.submit_case(clerk, applicant=firm, item=item)
    return [ApiToken.issue(clerk, "fuzz")[1], ApiToken.issue(reviewer, "fuzz")[1]]


@pytest.mark.django_db
@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
def test_every_operation_answers_as_documented(case, tokens):
    for token in tokens:
        case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, checks=CHECKS)
