"""Upgrading from the last release: a database its code made (SQLite, or PostgreSQL when
the suite runs there) keeps every row through `nextstep init-db`, its keys go on working
(as `write` keys), and `serve` starts on it; before the migration, `serve` refuses it."""
import os

import pytest
from old_release import LAST_RELEASE, build_last_release_database, every_row, same_rows

from nextstep import create_app
from nextstep.db import close_all_connections, drop_tables
from nextstep.migrations import LATEST, SchemaError, SchemaVersion, check_schema, schema_version
from nextstep.models import ApiKey, Run, database
from servers import NextStepServe, request

POSTGRES = os.environ.get("NEXTSTEP_TEST_DATABASE_URL")
RUNS = "/api/v1/process-runs"


@pytest.fixture
def last_release(database_url, tmp_path, monkeypatch):
    """(current app on the database, what the last release's code put in it)."""
    for key in [k for k in os.environ if k.startswith("NEXTSTEP_")]:
        monkeypatch.delenv(key)
    monkeypatch.setenv("NEXTSTEP_INSTANCE_PATH", str(tmp_path / "instance"))
    app = create_app({"TESTING": True, "NEXTSTEP_DATABASE_URL": database_url,
                      "NEXTSTEP_RATELIMIT_STORAGE_URI": "memory://"})
    if POSTGRES:
        drop_tables()
    close_all_connections()
    made = build_last_release_database(database_url, tmp_path)
    database.connect(reuse_if_open=True)
    try:
        yield app, made
    finally:
        if not database.is_closed():
            database.close()
        if POSTGRES:
            drop_tables()
        close_all_connections()


def init_db(app):
    result = app.test_cli_runner().invoke(args=["init-db"])
    assert (result.exit_code, result.output) == (0, "Database ready.\n")


def serve_refusal(database_url, tmp_path):
    server = NextStepServe({"NEXTSTEP_DATABASE_URL": database_url}, (),
                           instance_path=tmp_path / "serve-instance")
    return server.run_to_exit(timeout=60)


def test_the_last_release_made_a_database_at_its_version(last_release):
    _app, made = last_release
    assert schema_version() == 2  # LAST_RELEASE's LATEST
    assert "scope" not in [c.name for c in database.get_columns("api_key")]
    counts = {table: len(rows) for table, (_columns, rows) in every_row().items()}
    assert counts["team"] == 2 and counts["member"] == 5 and counts["api_key"] == 3
    assert counts["template"] == 3 and counts["template_version"] == 3
    assert counts["run"] == 2 and counts["event"] == 4
    assert set(made["runs"]) == {"completed", "active"}, LAST_RELEASE


def test_init_db_keeps_every_row_and_reaches_the_latest_version(last_release):
    app, _made = last_release
    before = every_row()
    init_db(app)
    assert schema_version() == check_schema() == LATEST
    after = every_row()
    assert same_rows(before, after) == []
    new_tables = {"webhook", "webhook_delivery", "webhook_attempt",  # migration 6, empty
                  "idempotency_key"}  # migration 7, empty
    assert sorted(set(after) - new_tables) == sorted(before)
    assert all(after[table][1] == [] for table in new_tables)
    assert [key.scope for key in ApiKey.select()] == ["write"] * 3


def test_init_db_a_second_time_changes_nothing(last_release):
    app, _made = last_release
    init_db(app)
    once = every_row(skip=())
    init_db(app)
    assert every_row(skip=()) == once
    assert [row.version for row in SchemaVersion.select()] == [LATEST]


def test_the_old_keys_work_as_write_keys_after_the_upgrade(last_release):
    app, made = last_release
    init_db(app)
    client = app.test_client()
    acme = {"Authorization": f"Bearer {made['keys']['acme']}"}
    done = client.get(f"{RUNS}/{made['runs']['completed']}", headers=acme)
    assert (done.status_code, done.get_json()["data"]["status"]) == (200, "completed")
    tasks = client.get(f"{RUNS}/{made['runs']['active']}/tasks", headers=acme).get_json()
    assert tasks["data"][0]["custom_elements"][0]["value"] == "Sam Lee"
    started = client.post(RUNS, json={"template_id": made["templates"]["simple"]},
                          headers=acme)
    assert started.status_code == 201
    assert started.get_json()["data"]["template_version"] == 2
    new_task = client.get(f"{RUNS}/{started.get_json()['data']['id']}/tasks",
                          headers=acme).get_json()["data"][-1]
    patched = client.patch(f"{RUNS}/{started.get_json()['data']['id']}/tasks/"
                           f"{new_task['id']}", json={"completed": True}, headers=acme)
    assert patched.status_code == 200
    beta = {"Authorization": f"Bearer {made['keys']['beta']}"}
    listed = client.get("/api/v1/process-templates", headers=beta).get_json()["data"]
    assert [t["id"] for t in listed] == [made["templates"]["draft"]]
    authoring = client.post(f"/api/v1/process-templates/{made['templates']['simple']}/publish",
                            headers=acme)
    assert (authoring.status_code, authoring.get_json()["error"]["details"]) == (
        403, {"required_scope": "admin"})
    revoked = {"Authorization": f"Bearer {made['keys']['revoked']}"}
    assert client.get(RUNS, headers=revoked).status_code == 401
    assert Run.select().count() == 3


def test_serve_refuses_the_old_database_then_starts_once_migrated(last_release,
                                                                 database_url, tmp_path):
    app, made = last_release
    with pytest.raises(SchemaError) as refused:
        check_schema()
    database.close()
    status, _stdout, stderr = serve_refusal(database_url, tmp_path)
    assert (status, stderr) == (1, f"Error: {refused.value}\n")
    database.connect(reuse_if_open=True)
    init_db(app)
    database.close()
    with NextStepServe({"NEXTSTEP_DATABASE_URL": database_url}, (),
                       instance_path=tmp_path / "serve-instance") as server:
        status, _headers, _body = request(server.port, "GET", "/api/v1/health")
        assert status == 200
        status, _headers, _body = request(
            server.port, "GET", f"{RUNS}/{made['runs']['completed']}",
            headers={"Authorization": f"Bearer {made['keys']['acme']}"})
        assert status == 200


def test_serve_refuses_a_database_at_version_3(last_release, database_url, tmp_path):
    """Version 3 (the read-path index drop) is not the latest: `serve` says to migrate."""
    SchemaVersion.update(version=3).execute()
    with pytest.raises(SchemaError) as refused:
        check_schema()
    message = str(refused.value)
    assert message == (f"The database schema is at version 3 and this NextStep needs "
                       f"version {LATEST}; run `nextstep init-db` to migrate it (no data is "
                       f"lost).")
    database.close()
    status, _stdout, stderr = serve_refusal(database_url, tmp_path)
    assert (status, stderr) == (1, f"Error: {message}\n")
