"""The security headers on every kind of answer: the app's pages, its errors and static files, and gunicorn's own."""

import io
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cabinet import security

ROOT = Path(__file__).resolve().parent.parent
#: the powerful features the issue names, each of which must be switched off
FEATURES_OFF = ["accelerometer", "ambient-light-sensor", "autoplay", "battery", "bluetooth", "browsing-topics",
                "camera", "display-capture", "document-domain", "encrypted-media", "fullscreen", "geolocation",
                "gyroscope", "hid", "idle-detection", "interest-cohort", "magnetometer", "microphone", "midi",
                "payment", "picture-in-picture", "publickey-credentials-get", "screen-wake-lock", "serial", "sync-xhr",
                "usb", "web-share", "xr-spatial-tracking"]


def answer(app, client, what):
    if what == "a page":
        return client.get("/policy")
    if what == "a 404":
        return client.get("/no-such-page")
    if what == "a 413":
        app.config["MAX_CONTENT_LENGTH"] = 1000
        return client.post("/register", data={"documents": (io.BytesIO(b"0" * 2000), "a.pdf")})
    return client.get("/static/cabinet.css")


@pytest.mark.parametrize("what", ["a page", "a 404", "a 413", "a static file"])
def test_every_security_header_on_every_kind_of_answer(app, client, policy, what):
    response = answer(app, client, what)
    assert response.status_code == {"a 404": 404, "a 413": 413}.get(what, 200)
    for name, value in security.HEADERS.items():
        assert response.headers.get(name) == value, name
    assert response.headers["Cross-Origin-Resource-Policy"] == "same-origin"
    assert "gunicorn" not in str(response.headers).lower() and "werkzeug" not in str(response.headers).lower()


def test_permissions_policy_switches_every_powerful_feature_off():
    directives = dict(d.strip().split("=", 1) for d in security.PERMISSIONS_POLICY.split(","))
    assert set(directives.values()) == {"()"}
    assert not set(FEATURES_OFF) - set(directives)


# --- gunicorn with the repository's configuration -------------------------------------------------------------

def raw(port: int, request: bytes) -> tuple[int, dict[str, str], bytes]:
    """Send bytes as they are (no client would send a malformed request line) and read the whole answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
        connection.sendall(request)
        received = b""
        while chunk := connection.recv(65536):
            received += chunk
    head, _, body = received.partition(b"\r\n\r\n")
    status, *lines = head.decode("latin-1").split("\r\n")
    return int(status.split()[1]), {k.lower(): v for k, v in (line.split(": ", 1) for line in lines)}, body


@pytest.fixture(scope="module")
def gunicorn_port(tmp_path_factory):
    """gunicorn as the README's production command starts it (`-c gunicorn.conf.py`), on a free loopback port."""
    binary = shutil.which("gunicorn", path=str(Path(sys.executable).parent))
    if binary is None:
        pytest.skip("gunicorn is not installed")
    folder = tmp_path_factory.mktemp("gunicorn")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "CABINET_DATABASE_URL": f"sqlite:///{folder / 'cabinet.sqlite'}",
           "CABINET_SECRET_KEY": "k" * 40, "CABINET_UPLOAD_DIR": str(folder / "uploads")}
    server = subprocess.Popen([binary, "--config", str(ROOT / "gunicorn.conf.py"), "--bind", f"127.0.0.1:{port}",
                               "--workers", "1", "wsgi:app"], cwd=ROOT, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                raw(port, b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    pytest.fail("gunicorn did not start")
                time.sleep(0.2)
        yield port
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_gunicorn_names_no_product_or_version(gunicorn_port):
    import gunicorn

    status, headers, _body = raw(gunicorn_port, b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert status == 200 and headers["server"] == "cabinet"
    assert not any("gunicorn" in value.lower() or gunicorn.__version__ in value for value in headers.values())
    assert headers["permissions-policy"] == security.PERMISSIONS_POLICY


@pytest.mark.parametrize("request_, status", [
    (b"GET /\x01 HTTP/1.1\r\nHost: x\r\n\r\n", 400),  # a malformed request line
    (b"GET / HTTP/1.1\r\nHost: x\r\nX-Long: " + b"a" * 9000 + b"\r\n\r\n", 431),  # a header too long
    (b"GET /" + b"a" * 5000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414),  # a request line too long
])
def test_gunicorns_own_errors_carry_the_security_headers(gunicorn_port, request_, status):
    got, headers, body = raw(gunicorn_port, request_)
    assert got == status
    for name, value in security.HEADERS.items():
        assert headers.get(name.lower()) == value, name
    assert headers["server"] == "cabinet" and b"gunicorn" not in body.lower() and b"aaaa" not in body


def test_the_readmes_nginx_lines_send_the_same_headers():
    """Behind nginx the headers come from README's lines (with `always`, so nginx's own errors have them too)."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    added = dict(re.findall(r'^add_header ([\w-]+) "([^"]*)" always;$', readme, re.M))
    hidden = re.findall(r"^proxy_hide_header ([\w-]+);$", readme, re.M)
    assert added == {**security.HEADERS, "Strict-Transport-Security": security.HSTS}
    assert sorted(hidden) == sorted(added) and re.search(r"^server_tokens off;$", readme, re.M)
