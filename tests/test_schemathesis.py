"""The generated OpenAPI document drives schemathesis over every operation (against the
WSGI app, with a real key, a published template and a run to find): no 5xx, answers
that conform to the document (status, headers, body, content type).

Examples per operation: NEXTSTEP_FUZZ_EXAMPLES (10 under `make test`, 50 in CI)."""
import itertools
import os

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import (
    negative_data_rejection,
    positive_data_acceptance,
)
from test_run_helpers import started

EXAMPLES = int(os.environ.get("NEXTSTEP_FUZZ_EXAMPLES", "10"))
# A schema-valid request may still be refused on its meaning: a random `cursor` or
# `template_id` names nothing (400 / 404 are documented answers), so "valid data is
# accepted" is not a rule of this API. Every other check runs.
NOT_OURS = [positive_data_acceptance]
# Nor is "invalid data is refused" for every mutation schemathesis makes: an unknown query
# argument is ignored, as lists document, and the key this test sends undoes a mutation
# that drops Authorization. Invalid requests are still checked for no 5xx and for answers
# (the error envelope, its status and headers) as the document says.
NOT_OURS_FOR_INVALID = [*NOT_OURS, negative_data_rejection]


@pytest.fixture
def app_config(app_config):
    """Limits far above what the fuzzer sends: the rate limits have their own tests, and a
    429 here would hide the answer being checked."""
    return dict(app_config, NEXTSTEP_RATE_LIMIT="1000000 per minute",
                NEXTSTEP_AUTH_FAILURE_LIMIT="1000000 per minute")


@pytest.fixture
def fuzzed_app(app, client, auth, team, make_template, make_member, make_key):
    """The app with something to find: a published template with a required element,
    a started run; the key every generated request sends, an admin's, so that authoring
    and webhooks are fuzzed beyond their scope check."""
    member = make_member(team, email="doer@example.com")
    template = make_template(team, tasks=[
        {"title": "Fill", "assignee": member,
         "elements": [{"type": "shortText", "label": "Name", "required": True}]},
        {"title": "Approve", "type": "approval", "depends_on": [0]}])
    started(client, auth, template)
    app.config["FUZZ_AUTH"] = {"Authorization": f"Bearer {make_key(team, scope='admin')[0]}"}
    return app


def test_every_operation_answers_as_documented(fuzzed_app):
    """Each operation of the served document in turn, with valid requests and invalid
    ones (which must be refused with a 4xx), from schemathesis' Hypothesis strategies
    (its pytest plugin does not load under pytest 9)."""
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", fuzzed_app)
    auth = fuzzed_app.config["FUZZ_AUTH"]
    operations = [result.ok() for result in schema.get_all_operations()]
    document = fuzzed_app.test_client().get("/api/v1/openapi.json").get_json()
    assert sorted(op.label for op in operations) == sorted(
        f"{method.upper()} {path}" for path, item in document["paths"].items()
        for method in item if method in ("get", "post", "patch", "put", "delete")
        and path != "/openapi.json")  # schemathesis leaves out the document it reads
    for operation, mode in itertools.product(operations, list(GenerationMode)):
        excluded = NOT_OURS if mode is GenerationMode.POSITIVE else NOT_OURS_FOR_INVALID

        @given(case=operation.as_strategy(mode))
        @settings(max_examples=EXAMPLES, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        def fuzz(case):
            case.call_and_validate(headers=auth, excluded_checks=excluded)  # noqa: B023
            # (each fuzz runs at once, inside its own turn of the loop)
        try:
            fuzz()
        except Unsatisfiable:
            # Nothing of this operation can be made invalid (GET /health takes only a
            # free-form header): there is no negative case to send.
            assert mode is GenerationMode.NEGATIVE, operation.label
