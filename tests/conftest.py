"""A fresh app on a temporary database file per test, plus small factories.

Set NEXTSTEP_TEST_DATABASE_URL (postgresql://...) to run the suite on PostgreSQL and
NEXTSTEP_TEST_REDIS_URL (redis://...) to run the rate-limit tests on Redis.
"""
import os
from contextlib import contextmanager

import pytest

from nextstep import create_app
from nextstep.db import close_all_connections, create_tables, drop_tables
from nextstep.models import Member, Team, database
from nextstep.services.keys import create_api_key
from servers import NextStepServe

POSTGRES_URL = os.environ.get("NEXTSTEP_TEST_DATABASE_URL")
REDIS_URL = os.environ.get("NEXTSTEP_TEST_REDIS_URL")


@pytest.fixture
def database_url(tmp_path):
    return POSTGRES_URL or f"sqlite:///{tmp_path / 'nextstep.sqlite3'}"


@pytest.fixture
def app_config(database_url, tmp_path):
    """Settings for the test app; a test may change them before `app` is built."""
    return {"TESTING": True, "NEXTSTEP_DATABASE_URL": database_url,
            "NEXTSTEP_RATELIMIT_STORAGE_URI": "memory://"}


@pytest.fixture
def app(app_config, tmp_path, monkeypatch):
    monkeypatch.setenv("NEXTSTEP_INSTANCE_PATH", str(tmp_path / "instance"))
    for key in list(os.environ):
        if key.startswith("NEXTSTEP_") and key not in ("NEXTSTEP_INSTANCE_PATH",):
            monkeypatch.delenv(key)
    app = create_app(app_config)
    with fresh_tables():
        yield app


@contextmanager
def fresh_tables():
    """Empty tables for one test (PostgreSQL's outlive it, so they are dropped before and
    after), and every pooled connection closed at the end."""
    if POSTGRES_URL:
        drop_tables()
    create_tables()
    database.connect(reuse_if_open=True)
    try:
        yield
    finally:
        if not database.is_closed():
            database.close()
        if POSTGRES_URL:
            drop_tables()
        close_all_connections()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def serve_process(app, database_url, tmp_path):
    """Start the real `nextstep serve` on this test's database, stopped at teardown:
    `server = serve_process("--threads", "4", NEXTSTEP_RATE_LIMIT="5 per minute")`."""
    started = []

    def start(*args, **settings):
        server = NextStepServe({"NEXTSTEP_DATABASE_URL": database_url, **settings}, args,
                               instance_path=tmp_path / "serve-instance")
        started.append(server)
        return server.__enter__()
    yield start
    for server in started:
        server.stop()


@pytest.fixture
def make_team(app):
    counter = iter(range(1, 10_000))

    def make(name=None, subdomain=None, timezone="UTC", subscription_status="active"):
        n = next(counter)
        return Team.create(name=name or f"Team {n}", subdomain=subdomain or f"team{n}",
                           timezone=timezone, subscription_status=subscription_status)
    return make


@pytest.fixture
def make_member(app):
    counter = iter(range(1, 10_000))

    def make(team, email=None, name=None, role="member", is_active=True):
        n = next(counter)
        return Member.create(team=team, email=email or f"person{n}@example.com",
                             name=name or f"Person {n}", role=role, is_active=is_active)
    return make


@pytest.fixture
def make_key(app, make_member):
    """Returns (plaintext key, ApiKey row) for a new owner of `team`; a `write` key unless
    `scope` says otherwise."""
    def make(team, member=None, name="test key", scope="write"):
        member = member or make_member(team, role="owner")
        row, plaintext = create_api_key(team, member, name, scope)
        return plaintext, row
    return make


@pytest.fixture
def team(make_team):
    return make_team(name="Acme", subdomain="acme")


@pytest.fixture
def api_key(team, make_key):
    return make_key(team)[0]


@pytest.fixture
def auth(api_key):
    return {"Authorization": f"Bearer {api_key}"}


@pytest.fixture
def make_template(app):
    """Build a template from a compact spec, straight in the models.

    tasks: list of dicts with optional keys title, type, is_essential, webhook_enabled,
    assignee (Member), due_date (rule dict, may name "task:<index>"), depends_on
    (list of task indexes), section (section index), elements (list of dicts with
    type, label, required, options). Returns the Template; `template.task_rows` and
    `template.section_list` hold what was made. publish=True publishes version 1.
    """
    from nextstep.models import CustomElement, Section, Template, TemplateTask
    from nextstep.services.publishing import publish_template

    def make(team, title="Onboarding", tasks=None, sections=(), publish=True, **fields):
        tasks = tasks if tasks is not None else [{}]
        template = Template.create(team=team, title=title, **fields)
        section_list = [Section.create(template=template, title=s, position=i)
                        for i, s in enumerate(sections)]
        rows = []
        for position, spec in enumerate(tasks):
            rows.append(TemplateTask.create(
                template=template, title=spec.get("title", f"Task {position + 1}"),
                position=position, type=spec.get("type", "task"),
                is_essential=spec.get("is_essential", True),
                webhook_enabled=spec.get("webhook_enabled", False),
                assignee=spec.get("assignee"),
                section=section_list[spec["section"]] if "section" in spec else None))
        for row, spec in zip(rows, tasks, strict=True):
            row.depends_on = [rows[i].id for i in spec.get("depends_on", [])]
            rule = spec.get("due_date")
            if rule and str(rule.get("from", "")).startswith("task:"):
                rule = dict(rule, **{"from": "task:" + rows[int(rule["from"][5:])].id})
            row.due_date = rule
            row.save()
            for i, element in enumerate(spec.get("elements", [])):
                CustomElement.create(task=row, position=i, type=element["type"],
                                     label=element.get("label", element["type"]),
                                     required=element.get("required", False),
                                     options=element.get("options"))
        if publish:
            template = publish_template(template)
        template.task_rows = rows
        template.section_list = section_list
        return template
    return make


@pytest.fixture
def clock(monkeypatch):
    """The time run services see; `clock.tick()` moves it on (test_run_helpers)."""
    from test_run_helpers import install_clock
    return install_clock(monkeypatch)


@pytest.fixture
def flow(client, auth, team, make_template, make_member):
    """A started four-task run to PATCH (test_run_helpers.make_flow)."""
    from test_run_helpers import make_flow
    return make_flow(client, auth, team, make_template, make_member)
