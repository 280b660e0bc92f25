"""The generated OpenAPI document drives schemathesis over every operation (against the
WSGI app, with a real key, a published template and a run to find): no 5xx, answers
that conform to the document (status, headers, body, content type).

Examples per operation: NEXTSTEP_FUZZ_EXAMPLES (10 under `make test`, 50 in CI)."""
import os

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance
from test_run_helpers import started

EXAMPLES = int(os.environ.get("NEXTSTEP_FUZZ_EXAMPLES", "10"))
# A schema-valid request may still be refused on its meaning: a random `cursor` or
# `template_id` names nothing (400 / 404 are documented answers), so "valid data is
# accepted" is not a rule of this API. Every other check runs.
NOT_OURS = [positive_data_acceptance]


@pytest.fixture
def app_config(app_config):
    """Limits far above what the fuzzer sends: the rate limits have their own tests, and a
    429 here would hide the answer being checked."""
    return dict(app_config, NEXTSTEP_RATE_LIMIT="1000000 per minute",
                NEXTSTEP_AUTH_FAILURE_LIMIT="1000000 per minute")


@pytest.fixture
def fuzzed_app(app, client, auth, team, make_template, make_member):
    """The app with something to find: a published template with a required element,
    a started run; the key every generated request sends."""
    member = make_member(team, email="doer@example.com")
    template = make_template(team, tasks=[
        {"title": "Fill", "assignee": member,
         "elements": [{"type": "shortText", "label": "Name", "required": True}]},
        {"title": "Approve", "type": "approval", "depends_on": [0]}])
    started(client, auth, template)
    app.config["FUZZ_AUTH"] = auth
    return app


def test_every_operation_answers_as_documented(fuzzed_app):
    """Each operation of the served document in turn, with Hypothesis strategies from
    schemathesis (its pytest plugin does not load under pytest 9)."""
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", fuzzed_app)
    auth = fuzzed_app.config["FUZZ_AUTH"]
    operations = [result.ok() for result in schema.get_all_operations()]
    document = fuzzed_app.test_client().get("/api/v1/openapi.json").get_json()
    assert sorted(op.label for op in operations) == sorted(
        f"{method.upper()} {path}" for path, item in document["paths"].items()
        for method in item if method in ("get", "post", "patch", "put", "delete")
        and path != "/openapi.json")  # schemathesis leaves out the document it reads
    for operation in operations:
        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        def fuzz(case):
            case.call_and_validate(headers=auth, excluded_checks=NOT_OURS)
        fuzz()
