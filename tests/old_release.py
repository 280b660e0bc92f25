"""A database made by the last release's own code, for upgrade tests (no tests here).

`build_last_release_database(url, workdir)` checks out the `nextstep/` package of commit
LAST_RELEASE from this repository's history (`git archive`), and runs it in a subprocess
with PYTHONPATH pointing there: its `init-db`, its CLI commands and its API (test client)
fill the database at `url` with teams, members, keys (one revoked), templates (imported,
published, republished, a draft) and runs (one completed, with events; one in progress).
It answers what a test needs to reach that data (the keys in plaintext, ids). Without git
or without that commit, the test is skipped with the reason.

`every_row()` snapshots every table's rows in the columns they have now, to compare with
the same columns after a migration. Each migration's upgrade test reuses both.
"""
import json
import os
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from nextstep.models import database

LAST_RELEASE = "0eceb8b"
REPOSITORY = Path(__file__).resolve().parents[1]
SIMPLE_TEMPLATE = {
    "title": "Laptop refresh",
    "sections": [{"key": "prep", "title": "Preparation", "color": "#4F46E5"}],
    "tasks": [
        {"key": "pick", "title": "Pick a model", "section": "prep",
         "assignee": "ben@acme.test", "webhook_enabled": True,
         "custom_elements": [{"key": "model", "type": "dropdown", "label": "Model",
                              "required": True,
                              "options": ["MacBook Pro 14", "ThinkPad X1"]}]},
        {"key": "ok", "title": "Approve the order", "type": "approval", "depends_on": ["pick"],
         "due_date": {"type": "relative", "from": "task:pick", "offset": "P2D",
                      "business_days": True}},
        {"key": "tea", "title": "Celebrate", "is_essential": False,
         "due_date": {"type": "fixed", "at": "2026-04-01T09:00:00Z"}},
    ],
}

# Runs inside the last release's package (argv: database URL, work folder); prints JSON.
BUILDER = r'''
import json, sys
from pathlib import Path
import nextstep
from nextstep import create_app

url, work = sys.argv[1], Path(sys.argv[2])
app = create_app({"NEXTSTEP_DATABASE_URL": url, "NEXTSTEP_RATELIMIT_STORAGE_URI": "memory://"})
runner = app.test_cli_runner()


def cli(*args):
    result = runner.invoke(args=list(args))
    if result.exit_code != 0:
        raise SystemExit(f"{args}: {result.output}")
    return result.stdout.splitlines()[-1]


def api(method, path, key, body=None):
    client = app.test_client()
    response = client.open("/api/v1" + path, method=method, json=body,
                           headers={"Authorization": f"Bearer {key}"})
    if response.status_code >= 300:
        raise SystemExit(f"{method} {path}: {response.status_code} {response.get_data(True)}")
    return response.get_json()["data"]


cli("init-db")
cli("create-team", "--name", "Acme", "--subdomain", "acme")
cli("create-team", "--name", "Beta", "--subdomain", "beta", "--timezone", "Europe/Berlin")
for email, role in (("ann@acme.test", "owner"), ("ben@acme.test", "admin"),
                    ("cat@acme.test", "member"), ("dan@acme.test", "member")):
    cli("add-member", "--team", "acme", "--email", email, "--name", email[:3], "--role", role)
cli("deactivate-member", "--team", "acme", "--email", "dan@acme.test")
cli("add-member", "--team", "beta", "--email", "eve@beta.test", "--name", "Eve", "--role",
    "owner")
keys = {"acme": cli("create-api-key", "--team", "acme", "--by", "ann@acme.test", "--name",
                    "zapier"),
        "beta": cli("create-api-key", "--team", "beta", "--by", "eve@beta.test", "--name",
                    "dashboard"),
        "revoked": cli("create-api-key", "--team", "acme", "--by", "ben@acme.test", "--name",
                       "old")}
revoked_id = [line.split()[0] for line in
              runner.invoke(args=["list-api-keys", "--team", "acme"]).stdout.splitlines()
              if " old " in line][0]
cli("revoke-api-key", "--team", "acme", revoked_id)

sample = str(Path(nextstep.__file__).parent / "examples" / "onboarding.json")
simple = work / "simple.json"
simple.write_text(json.dumps(SIMPLE), encoding="utf-8")
templates = {"onboarding": cli("import-template", "--team", "acme", "--publish", sample)}
templates["simple"] = cli("import-template", "--team", "acme", "--publish", str(simple))
cli("import-template", "--team", "acme", "--template", templates["simple"], str(simple))
cli("publish-template", "--team", "acme", templates["simple"])  # version 2
templates["draft"] = cli("import-template", "--team", "beta", sample)

key = keys["acme"]
done = api("POST", "/process-runs", key, {"template_id": templates["simple"],
                                          "name": "Refresh for Cat"})
tasks = api("GET", f"/process-runs/{done['id']}/tasks", key)
pick, ok, tea = tasks
api("PATCH", f"/process-runs/{done['id']}/tasks/{pick['id']}", key, {
    "completed": True, "custom_elements": [
        {"element_id": pick["custom_elements"][0]["id"], "value": "ThinkPad X1"}]})
api("PATCH", f"/process-runs/{done['id']}/tasks/{ok['id']}", key,
    {"approval": {"status": "approved", "comment": "Fine"}})
api("PATCH", f"/process-runs/{done['id']}/tasks/{tea['id']}", key, {"skipped": True})
going = api("POST", "/process-runs", key, {"template_id": templates["onboarding"]})
first = api("GET", f"/process-runs/{going['id']}/tasks", key)[0]
api("PATCH", f"/process-runs/{going['id']}/tasks/{first['id']}", key, {"custom_elements": [
    {"element_id": first["custom_elements"][0]["id"], "value": "Sam Lee"}]})
status = api("GET", f"/process-runs/{done['id']}", key)["status"]
if status != "completed":
    raise SystemExit(f"the run should be completed, it is {status}")
print(json.dumps({"keys": keys, "templates": templates,
                  "runs": {"completed": done["id"], "active": going["id"]},
                  "package": nextstep.__file__}))
'''


def last_release_package(workdir):
    """The folder holding LAST_RELEASE's `nextstep/` package, extracted under `workdir`;
    skips the test when git or the commit is not available."""
    git = shutil.which("git")
    if git is None:
        pytest.skip("git is not installed: cannot check out the last release's code")
    found = subprocess.run([git, "-C", str(REPOSITORY), "cat-file", "-e",
                            f"{LAST_RELEASE}^{{commit}}"], capture_output=True, check=False)
    if found.returncode != 0:
        pytest.skip(f"commit {LAST_RELEASE} (the last release) is not in the repository's "
                    f"history at {REPOSITORY}")
    target = Path(workdir) / f"release-{LAST_RELEASE}"
    target.mkdir(parents=True, exist_ok=True)
    archive = target / "nextstep.tar"
    subprocess.run([git, "-C", str(REPOSITORY), "archive", "--format=tar", "-o", str(archive),
                    LAST_RELEASE, "nextstep"], check=True, capture_output=True)
    with tarfile.open(archive) as tar:
        tar.extractall(target, filter="data")
    archive.unlink()
    return target


def build_last_release_database(url, workdir):
    """Fill the (empty) database at `url` with the last release's code; returns
    {"keys": {"acme", "beta", "revoked"}, "templates": {"onboarding", "simple", "draft"},
    "runs": {"completed", "active"}} (keys in plaintext, the rest ids)."""
    package = last_release_package(workdir)
    script = f"SIMPLE = {SIMPLE_TEMPLATE!r}\n{BUILDER}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEXTSTEP_")}
    env.update(PYTHONPATH=str(package), NEXTSTEP_INSTANCE_PATH=str(package / "instance"),
               PYTHONDONTWRITEBYTECODE="1")
    result = subprocess.run([sys.executable, "-c", script, url, str(workdir)], cwd=package,
                            env=env, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    made = json.loads(result.stdout.splitlines()[-1])
    assert Path(made.pop("package")).is_relative_to(package), "the current code ran instead"
    return made


def every_row(skip=("schema_version",)):
    """{table: sorted rows} of every table, in the columns each has now."""
    rows = {}
    for table in sorted(database.get_tables()):
        if table in skip:
            continue
        columns = [column.name for column in database.get_columns(table)]
        names = ", ".join(f'"{c}"' for c in columns)
        fetched = database.execute_sql(f'SELECT {names} FROM "{table}"').fetchall()
        rows[table] = (columns, sorted(fetched, key=repr))
    return rows


def same_rows(before, after):
    """`after` holds every row of `before` unchanged, in `before`'s columns (a migration
    may add columns, never lose or change a value); returns the tables that differ."""
    differ = []
    for table, (columns, rows) in before.items():
        if table not in after:
            differ.append(table)
            continue
        now_columns, now_rows = after[table]
        picks = [now_columns.index(c) if c in now_columns else None for c in columns]
        if None in picks:
            differ.append(table)
            continue
        projected = sorted((tuple(row[i] for i in picks) for row in now_rows), key=repr)
        if projected != rows:
            differ.append(table)
    return differ
