"""docs/deployment.md, run: every block carries a `<!-- test: NAME ... -->` line saying
how it is run here, and each NAME below runs its block.

What is swapped, and nothing else: /srv/nextstep (the checkout) for a scratch folder,
/var/backups/nextstep for another, ports for free ones, the PostgreSQL and Redis URLs for
the test's own, the certificate paths for a self-signed pair. Lines that change the
machine (sudo systemctl, sudo ln, pip install) are not run; their marker says so.
"""
import http.client
import json
import os
import re
import shutil
import signal
import sqlite3
import ssl
import subprocess
import threading
from pathlib import Path

import pytest
from test_readme import wait_for_port

from conftest import POSTGRES_URL, REDIS_URL
from servers import NextStepServe, console_script, free_port, request

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "deployment.md"
SCRIPT = console_script()
RUN_BY_NAME = {"config-sqlite", "config-postgres", "init-db", "serve-several", "systemd-unit",
               "systemd-commands", "nginx-site", "nginx-enable", "backup-sqlite", "backup-cron",
               "restore-sqlite", "backup-postgres", "upgrade"}

pytestmark = pytest.mark.skipif(not SCRIPT.exists(), reason="the nextstep console script "
                                "is not installed next to this Python")


def doc_blocks():
    """[(name, marker, body)] for every fenced block, in order."""
    found = re.findall(r"(?:<!-- test: ([\w-]+)([^\n]*?) -->\n)?```\w+\n(.*?)```",
                       DOC.read_text(encoding="utf-8"), re.S)
    return [(name, marker, body) for name, marker, body in found]


def block(name):
    [body] = [body for found, _marker, body in doc_blocks() if found == name]
    return body


class Site:
    """The doc's /srv/nextstep laid out in a scratch folder, with its commands' env."""

    def __init__(self, root, **settings):
        self.root, self.instance, self.backups = root, root / "instance", root / "backups"
        self.instance.mkdir(parents=True, exist_ok=True)
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("NEXTSTEP_")}
        self.env.update({"NEXTSTEP_INSTANCE_PATH": str(self.instance),
                         **{k: str(v) for k, v in settings.items()}})

    def localise(self, text):
        for old, new in (("/srv/nextstep/.venv/bin/nextstep", str(SCRIPT)),
                         ("/srv/nextstep/instance", str(self.instance)),
                         ("/var/backups/nextstep", str(self.backups)),
                         ("/srv/nextstep", str(self.root))):
            text = text.replace(old, new)
        return text

    def write_config(self, name, replacements=()):
        text = block(name)
        for old, new in replacements:
            assert old in text
            text = text.replace(old, new)
        (self.instance / "config.py").write_text(text)

    def sh(self, text, cwd=None):
        result = subprocess.run(["bash", "-euo", "pipefail", "-c", self.localise(text)],
                                cwd=cwd or self.root, env=self.env, capture_output=True,
                                text=True, timeout=300, check=False)
        assert result.returncode == 0, result.stdout + result.stderr
        return result.stdout

    def serve(self, *args, **settings):
        env = {**{k: v for k, v in self.env.items() if k.startswith("NEXTSTEP_")}, **settings}
        env.pop("NEXTSTEP_INSTANCE_PATH")
        return NextStepServe(env, args, instance_path=self.instance)

    def demo_key(self):
        self.sh(block("init-db"))
        return self.sh(f"{SCRIPT} bootstrap-demo").splitlines()[-1]


def bearer(key):
    return {"Authorization": f"Bearer {key}"}


def test_every_block_is_marked_with_how_it_is_run():
    names = [name for name, _marker, _body in doc_blocks()]
    assert "" not in names, "a block of docs/deployment.md has no <!-- test: ... --> line"
    assert sorted(names) == sorted(RUN_BY_NAME)


# --- settings, init-db, several processes on PostgreSQL + Redis ---------------------------

@pytest.mark.skipif(not (POSTGRES_URL and REDIS_URL),
                    reason="needs NEXTSTEP_TEST_DATABASE_URL and NEXTSTEP_TEST_REDIS_URL")
def test_several_processes_share_the_database_and_the_rate_limit(tmp_path, app, make_team,
                                                                 make_key):
    site = Site(tmp_path, NEXTSTEP_RATE_LIMIT="3 per minute")
    site.write_config("config-postgres", [
        ("postgresql://nextstep@127.0.0.1:5432/nextstep", POSTGRES_URL),
        ("redis://127.0.0.1:6379/0", REDIS_URL)])
    assert site.sh(block("init-db")) == "Database ready.\n"
    key, _row = make_key(make_team())
    ports, processes = [], []
    try:
        for line in block("serve-several").strip().splitlines():
            port = free_port()
            command = site.localise(line.rstrip(" &")).replace(
                "--port 8080", f"--port {port}").replace("--port 8081", f"--port {port}")
            ports.append(port)
            processes.append(subprocess.Popen(command.split(), env=site.env,
                                              stdout=subprocess.DEVNULL,
                                              stderr=subprocess.DEVNULL))
            assert wait_for_port(port, processes[-1])
        statuses = [request(port, "GET", "/api/v1/process-templates", headers=bearer(key))[0]
                    for port in (ports[0], ports[1], ports[0], ports[1])]
    finally:
        for process in processes:
            process.terminate()
            process.wait(timeout=30)
    assert len(ports) == 2 and statuses == [200, 200, 200, 429]


# --- systemd -------------------------------------------------------------------------------

def unit_value(unit, key):
    [value] = re.findall(rf"^{key}=(.*)$", unit, re.M)
    return value


def test_the_systemd_units_command_serves_and_stops_on_its_kill_signal(tmp_path):
    site = Site(tmp_path / "srv")
    site.write_config("config-sqlite")
    site.sh(block("init-db"))
    unit = site.localise(block("systemd-unit"))
    port = free_port()
    verify = shutil.which("systemd-analyze")
    if verify:
        (tmp_path / f"nextstep@{port}.service").write_text(
            unit.replace("User=nextstep", "User=root").replace("Group=nextstep", "Group=root"))
        checked = subprocess.run([verify, "verify", f"nextstep@{port}.service"], cwd=tmp_path,
                                 capture_output=True, text=True, timeout=60, check=False)
        assert checked.returncode == 0, checked.stderr
    command = unit_value(unit, "ExecStart").replace("%i", str(port)).split()
    process = subprocess.Popen(command, cwd=unit_value(unit, "WorkingDirectory"), env=site.env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        assert wait_for_port(port, process)
        status, _headers, body = request(port, "GET", "/api/v1/health")
        assert status == 200 and json.loads(body)["data"]["status"] == "ok"
    finally:
        process.send_signal(getattr(signal, unit_value(unit, "KillSignal")))
        output = process.communicate(timeout=int(unit_value(unit, "TimeoutStopSec")))[0]
    assert process.returncode in (0, -signal.SIGTERM), output


# --- nginx ---------------------------------------------------------------------------------

def nginx_conf(tmp_path, site_text):
    for folder in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (tmp_path / folder).mkdir(exist_ok=True)
    (tmp_path / "site.conf").write_text(site_text)
    conf = tmp_path / "nginx.conf"
    # Workers as the test's own user: its scratch folders are private to it.
    user = "user root;\n" if os.geteuid() == 0 else ""
    conf.write_text(f"""{user}pid {tmp_path}/nginx.pid;
error_log {tmp_path}/error.log;
events {{}}
http {{
    access_log {tmp_path}/access.log;
    client_body_temp_path {tmp_path}/body;
    proxy_temp_path {tmp_path}/proxy;
    fastcgi_temp_path {tmp_path}/fastcgi;
    uwsgi_temp_path {tmp_path}/uwsgi;
    scgi_temp_path {tmp_path}/scgi;
    include {tmp_path}/site.conf;
}}
""")
    return conf


def self_signed(tmp_path):
    cert, key = tmp_path / "fullchain.pem", tmp_path / "privkey.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=nextstep.example.com", "-keyout", str(key), "-out", str(cert)],
                   capture_output=True, timeout=60, check=True)
    return cert, key


@pytest.mark.skipif(not shutil.which("nginx"), reason="nginx is not installed (apt-get install "
                    "nginx-light runs this test)")
@pytest.mark.skipif(not shutil.which("openssl"), reason="openssl is not installed")
def test_the_nginx_site_passes_nginx_t_and_serves_in_front(tmp_path):
    nginx = shutil.which("nginx")
    cert, key = self_signed(tmp_path)
    text = block("nginx-site")
    text = text.replace("/etc/letsencrypt/live/nextstep.example.com/fullchain.pem", str(cert))
    text = text.replace("/etc/letsencrypt/live/nextstep.example.com/privkey.pem", str(key))
    enable = block("nginx-enable")
    assert "sudo nginx -t\n" in enable
    checked = subprocess.run([nginx, "-t", "-c", str(nginx_conf(tmp_path, text))],
                             capture_output=True, text=True, timeout=60, check=False)
    assert checked.returncode == 0, checked.stderr

    site = Site(tmp_path / "srv", NEXTSTEP_AUTH_FAILURE_LIMIT="2 per minute")
    site.write_config("config-sqlite")
    api_key = site.demo_key()
    plain, tls = free_port(), free_port()
    with site.serve() as server:
        live = (text.replace("127.0.0.1:8080;", f"127.0.0.1:{server.port};")
                .replace("127.0.0.1:8081;", f"127.0.0.1:{server.port};")
                .replace("listen [::]:80;\n", "").replace("listen [::]:443 ssl;\n", "")
                .replace("listen 80;", f"listen 127.0.0.1:{plain};")
                .replace("listen 443 ssl;", f"listen 127.0.0.1:{tls} ssl;"))
        conf = nginx_conf(tmp_path, live)
        proxy = subprocess.Popen([nginx, "-c", str(conf), "-g", "daemon off;"],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            assert wait_for_port(tls, proxy) and wait_for_port(plain, proxy)
            through_nginx(plain, tls, api_key)
        finally:
            proxy.terminate()
            proxy.wait(timeout=30)


def through_nginx(plain, tls, api_key):
    def https(method, path, body=None, headers=()):
        conn = http.client.HTTPSConnection("127.0.0.1", tls, timeout=30,
                                           context=ssl._create_unverified_context())
        try:
            conn.request(method, path, body=body,
                         headers={"Host": "nextstep.example.com", **dict(headers)})
            response = conn.getresponse()
            return response.status, response.read()
        finally:
            conn.close()

    status, headers, _body = request(plain, "GET", "/api/v1/health",
                                     headers={"Host": "nextstep.example.com"})
    assert (status, headers["Location"]) == (301, "https://nextstep.example.com/api/v1/health")
    assert https("GET", "/api/v1/process-templates", headers=bearer(api_key))[0] == 200
    status, body = https("POST", "/api/v1/process-runs", body=b"x" * 1_500_000,
                         headers={**bearer(api_key), "Content-Type": "application/json"})
    assert (status, json.loads(body)["error"]["code"]) == (413, "payload_too_large")
    # The client's own X-Forwarded-For is not trusted: guesses from one address are limited.
    guesses = [https("GET", "/api/v1/process-templates", headers={
        "Authorization": "Bearer nxs_live_" + "0" * 32, "X-Forwarded-For": f"10.0.0.{n}"})[0]
        for n in range(3)]
    assert guesses == [401, 401, 429]


# --- backups ------------------------------------------------------------------------------

def start_runs(server, key, template_id, stop, made):
    """Start runs one after another until told to stop (bounded), counting the 201s."""
    for n in range(500):
        if stop.is_set():
            return
        status, _h, _b = server.request("POST", "/api/v1/process-runs", headers=bearer(key),
                                        body={"template_id": template_id, "name": f"Run {n}"})
        if status == 201:
            made.append(n)


def runs_in(path):
    with sqlite3.connect(path) as db:
        return db.execute("SELECT count(*) FROM run").fetchone()[0]


def test_backup_while_serving_then_restore(tmp_path):
    site = Site(tmp_path / "srv")
    site.write_config("config-sqlite")
    key = site.demo_key()
    with site.serve() as server:
        _s, _h, body = server.request("GET", "/api/v1/process-templates", headers=bearer(key))
        template_id = json.loads(body)["data"][0]["id"]
        stop, made = threading.Event(), []
        writer = threading.Thread(target=start_runs, args=(server, key, template_id, stop, made))
        writer.start()
        try:
            while len(made) < 5 and writer.is_alive():
                writer.join(timeout=0.05)
            before = len(made)
            output = site.sh(block("backup-sqlite"))
            after = len(made)
        finally:
            stop.set()
            writer.join(timeout=60)
        cron = block("backup-cron").split(None, 6)[6].replace("\\%", "%")
        cron_output = site.sh(cron)
    backup = Path(output.splitlines()[-1])
    assert backup.parent == site.backups and backup.name.startswith("nextstep-")
    assert oct(backup.stat().st_mode & 0o777) == "0o600"
    with sqlite3.connect(backup) as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert db.execute("PRAGMA journal_mode").fetchone() == ("delete",)
    kept = runs_in(backup)
    assert before <= kept <= after + 1
    assert Path(cron_output.splitlines()[-1]).exists()

    restore = block("restore-sqlite").strip().splitlines()
    assert restore[0].startswith("sudo systemctl stop") and restore[-1].startswith(
        "sudo systemctl start")
    steps = "\n".join(restore[1:-1]).replace("nextstep-2026-03-27.sqlite3", backup.name)
    site.sh(steps)  # the server above is stopped, as `systemctl stop` would
    assert not (site.instance / "nextstep.sqlite3-wal").exists()
    with site.serve() as server:
        _s, _h, body = server.request("GET", "/api/v1/process-runs?limit=100",
                                      headers=bearer(key))
    assert len(json.loads(body)["data"]) == min(kept, 100)
    assert runs_in(site.instance / "nextstep.sqlite3") == kept


def test_backup_refuses_to_overwrite_without_replace_and_the_database_itself(tmp_path):
    site = Site(tmp_path / "srv")
    site.sh(block("init-db"))
    target = tmp_path / "copy.sqlite3"
    site.sh(f"{SCRIPT} backup {target}")
    for args, sentence in ((str(target), f"{target} already exists; choose a new name, or pass "
                                         f"--replace to overwrite it."),
                           (str(site.instance / "nextstep.sqlite3"),
                            f"{site.instance / 'nextstep.sqlite3'} is the database itself; "
                            f"give the backup another name.")):
        result = subprocess.run([str(SCRIPT), "backup", args], env=site.env,
                                capture_output=True, text=True, timeout=60, check=False)
        assert (result.returncode, result.stderr) == (1, f"Error: {sentence}\n")
    assert site.sh(f"{SCRIPT} backup --replace {target}").endswith(f"\n{target}\n")


@pytest.mark.skipif(not POSTGRES_URL, reason="NEXTSTEP_TEST_DATABASE_URL is not set")
@pytest.mark.skipif(not shutil.which("pg_dump"), reason="pg_dump is not installed")
def test_postgresql_backups_use_pg_dump_and_nextstep_backup_says_so(tmp_path, app, make_team):
    make_team(subdomain="kept")
    site = Site(tmp_path / "srv", NEXTSTEP_DATABASE_URL=POSTGRES_URL)
    site.backups.mkdir()
    refused = subprocess.run([str(SCRIPT), "backup", str(tmp_path / "x")], env=site.env,
                             capture_output=True, text=True, timeout=60, check=False)
    assert (refused.returncode, refused.stderr) == (1, (
        "Error: nextstep backup copies a SQLite database, and this one is PostgreSQL; back it "
        "up with pg_dump instead (e.g. `pg_dump -Fc -f nextstep.dump DATABASE`).\n"))
    dump, restore = block("backup-postgres").strip().splitlines()
    site.sh(re.sub(r" nextstep$", f" {POSTGRES_URL}", dump))
    site.sh(restore.replace("-d nextstep ", f"-d {POSTGRES_URL} "))
    from nextstep.models import Team
    assert [team.subdomain for team in Team.select()] == ["kept"]


# --- upgrading ----------------------------------------------------------------------------

@pytest.mark.skipif(not (ROOT / ".git").exists(), reason="not a git checkout")
def test_upgrade_steps_keep_the_data(tmp_path):
    checkout = tmp_path / "srv"
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(checkout)], check=True,
                   capture_output=True, timeout=120)
    (checkout / ".venv").symlink_to(SCRIPT.parents[1])
    site = Site(checkout)
    site.write_config("config-sqlite")
    key = site.demo_key()
    lines = block("upgrade").strip().splitlines()
    assert lines[0].startswith("sudo systemctl stop") and lines[-1].startswith(
        "sudo systemctl start")
    run_here = [line.replace("sudo -u nextstep ", "") for line in lines[1:-1]
                if "pip install" not in line]
    assert len(run_here) == len(lines) - 3
    with site.serve() as server:  # running before the upgrade; stopped as systemctl would
        assert server.request("GET", "/api/v1/process-templates", headers=bearer(key))[0] == 200
    output = site.sh("\n".join(run_here))
    assert output.endswith("Database ready.\n")
    with site.serve() as server:
        status, _h, body = server.request("GET", "/api/v1/process-templates",
                                          headers=bearer(key))
    assert status == 200 and len(json.loads(body)["data"]) == 1
