"""GET /api/v1/docs: the reference page, offline, read by a real headless Chromium."""
import html
import re
import shutil
import subprocess

import pytest

DOCS = "/api/v1/docs"
METHODS = ("get", "post", "patch", "put", "delete")


def operations(document):
    return [(method.upper(), "/api/v1" + path, item[method]["summary"])
            for path, item in document["paths"].items() for method in METHODS
            if method in item]


def test_the_page_needs_no_key_and_names_every_operation(client):
    response = client.get(DOCS)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    page = html.unescape(response.data.decode())
    document = client.get("/api/v1/openapi.json").get_json()
    for method, path, summary in operations(document):
        assert re.search(rf">{method}</span>\s*<code>{re.escape(path)}</code> "
                         rf"{re.escape(summary)}", page), (method, path)
    for code in ("idempotency_key_in_use", "precondition_failed", "rate_limited"):
        assert f"<code>{code}</code>" in page


def test_no_asset_or_link_leaves_the_page(client):
    page = client.get(DOCS).data.decode()
    targets = re.findall(r"""(?:src|href|action)\s*=\s*["']?([^"'\s>]*)""", page, re.I)
    assert targets
    assert all(target.startswith("#") or target == "openapi.json" for target in targets), \
        [t for t in targets if not t.startswith("#")]
    assert not re.search(r"url\(|@import|<script|<link|<img|<iframe", page, re.I)


def chromium():
    for name in ("chromium", "chromium-browser"):
        path = shutil.which(name) or shutil.which(f"/usr/bin/{name}")
        if path:
            return path
    pytest.skip("chromium is not installed (make test-packages installs Debian's "
                "chromium as root); the page's text is checked without a browser above")


def test_headless_chromium_renders_the_endpoints(serve_process, client, tmp_path):
    browser = chromium()
    server = serve_process()
    url = f"http://127.0.0.1:{server.port}{DOCS}"
    # Every host but the server resolves to nothing: the page must render offline.
    flags = [browser, "--headless", "--no-sandbox", "--disable-gpu",
             "--disable-dev-shm-usage", "--no-first-run",
             f"--user-data-dir={tmp_path / 'profile'}",
             "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"]
    dom = subprocess.run([*flags, "--dump-dom", url], capture_output=True, text=True,
                         timeout=120, check=False)
    assert dom.returncode == 0, dom.stderr[-2000:]
    text = re.sub(r"<[^>]+>", " ", dom.stdout)
    text = re.sub(r"\s+", " ", html.unescape(text))
    document = client.get("/api/v1/openapi.json").get_json()
    for method, path, summary in operations(document):
        assert f"{method} {path} {summary}" in text, (method, path)
    shot = tmp_path / "docs.png"
    taken = subprocess.run([*flags, f"--screenshot={shot}", "--window-size=1280,2400", url],
                           capture_output=True, text=True, timeout=120, check=False)
    assert taken.returncode == 0, taken.stderr[-2000:]
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 10_000
