"""README.md's two shell blocks, run as a reader pastes them, so they cannot drift again.

The API block runs in bash against the real `nextstep serve` on the sample template that
`nextstep bootstrap-demo` made; `curl` is a wrapper that records every answer's status
line. The CLI block runs in bash from a folder laid out like the checkout (.venv, docs).
Only two things are changed in them: the key and the port (8080 may be taken here).
"""
import os
import re
import shutil
import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest

from nextstep.models import ApiKey, Member, Run, RunTask, Template
from servers import console_script, free_port

README = Path(__file__).resolve().parent.parent / "README.md"
CURL = shutil.which("curl")


def shell_blocks(heading):
    """The ```sh blocks of README.md's section `## heading`."""
    text = README.read_text(encoding="utf-8")
    start = text.index(f"\n## {heading}\n")
    end = text.find("\n## ", start + 1)
    return re.findall(r"```sh\n(.*?)```", text[start:end if end > 0 else None], re.S)


def substituted(block, replacements):
    for old, new in replacements.items():
        assert old in block, f"README.md no longer has {old!r} where this test expects it"
        block = block.replace(old, new)
    return block


def clean_env(**settings):
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEXTSTEP_")}
    env.update({key: str(value) for key, value in settings.items()})
    return env


@pytest.fixture
def script():
    path = console_script()
    if not path.exists():
        pytest.skip("the nextstep console script is not installed next to this Python")
    return path


def curl_recorder(folder):
    """A `curl` first on the PATH that dumps each answer's headers into folder/NNN."""
    log, bin_dir = folder / "answers", folder / "bin"
    log.mkdir()
    bin_dir.mkdir()
    wrapper = bin_dir / "curl"
    wrapper.write_text(f'#!/bin/sh\nn=$(ls "{log}" | wc -l)\n'
                       f'exec {CURL} -D "{log}/$(printf %03d "$n")" "$@"\n')
    wrapper.chmod(0o755)
    return bin_dir, log


@pytest.mark.skipif(CURL is None, reason="curl is not installed")
def test_the_api_block_works_on_the_sample_as_pasted(tmp_path, database_url, app, script,
                                                     serve_process):
    env = clean_env(NEXTSTEP_DATABASE_URL=database_url,
                    NEXTSTEP_INSTANCE_PATH=tmp_path / "instance")
    demo = subprocess.run([str(script), "bootstrap-demo"], env=env, capture_output=True,
                          text=True, timeout=60, check=True)
    key = demo.stdout.splitlines()[-1]
    server = serve_process()
    [block] = shell_blocks("Using the API")
    block = substituted(block, {"KEY=nxs_live_...": f"KEY={key}",
                                "http://127.0.0.1:8080/": f"http://127.0.0.1:{server.port}/"})
    bin_dir, log = curl_recorder(tmp_path)
    env["PATH"] = f"{bin_dir}:{os.environ['PATH']}"
    result = subprocess.run(["bash", "-euo", "pipefail", "-c", block], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    statuses = [(log / name).read_bytes().decode().split("\r\n")[0]
                for name in sorted(os.listdir(log))]
    commands = [line for line in block.splitlines() if not line.lstrip().startswith("#")]
    assert len(statuses) == sum(len(re.findall(r"\bcurl\b", line)) for line in commands)
    assert all(re.match(r"HTTP/1\.1 2\d\d ", status) for status in statuses), statuses
    run = Run.get()
    first, second = RunTask.select().where(RunTask.run == run).order_by(RunTask.position)[:2]
    assert (run.title, first.completed, second.completed) == ("Onboarding: Sam", True, True)
    assert second.approval["status"] == "approved"
    assert {e["label"]: e["value"] for e in first.custom_elements}["Full name"] == "Sam Lee"


def wait_for_port(port, process, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return True
        except OSError:
            time.sleep(0.05)
    return False


def test_the_cli_block_works_top_to_bottom(tmp_path, database_url, app, script):
    """From a folder like the checkout; each line must succeed and leave acme an owner."""
    [block] = shell_blocks("The `nextstep` command")
    *lines, serve_line = block.strip().splitlines()
    assert " serve " in serve_line
    home = tmp_path / "checkout"
    home.mkdir()
    (home / ".venv").symlink_to(script.parents[1])
    (home / "docs").symlink_to(README.parent / "docs")
    env = clean_env(NEXTSTEP_DATABASE_URL=database_url,
                    NEXTSTEP_INSTANCE_PATH=tmp_path / "instance")
    numbered = "\n".join(f"{line}\necho '>> line {n} ok'" for n, line in enumerate(lines, 1))
    result = subprocess.run(["bash", "-euo", "pipefail", "-c", numbered], cwd=home, env=env,
                            capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert (result.stdout.count(">> line "), result.stderr) == (len(lines), "")
    assert f"\n>> line {len(lines)} ok\n" in result.stdout
    members = {m.email: (m.role, m.is_active) for m in Member.select()}
    assert members == {"ana@acme.test": ("owner", True), "ben@acme.test": ("owner", True)}
    keys = {key.name: (key.scope, key.revoked_at is not None) for key in ApiKey.select()}
    assert keys == {"Zapier": ("write", True), "Dashboard": ("read", False)}
    template = Template.get()
    assert (template.is_published, template.version) == (True, 1)

    port = free_port()
    serve = substituted(serve_line, {"--port 8080": f"--port {port}"})
    process = subprocess.Popen(["bash", "-c", f"exec {serve}"], cwd=home, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    # Wait for serve's own sentence, not just for the port: on a busy machine another
    # process can take a free port between free_port() and serve's bind.
    killer = threading.Timer(60, process.kill)
    killer.start()
    output = ""
    try:
        for line in iter(process.stdout.readline, b""):
            output += line.decode()
            if "Serving NextStep on" in line.decode():
                break
    finally:
        killer.cancel()
        process.terminate()
        output += process.communicate(timeout=30)[0].decode()
    assert f"Serving NextStep on http://127.0.0.1:{port}/api/v1 with 8 threads" in output
