"""deploy/nginx (issue 19): Debian's nginx, with the site file as shipped (only what it marks CHANGE replaced), in
front of two gunicorn servers of the demo on 127.0.0.1, over TLS with a certificate made for the test: static
files from disk, everything else proxied with the request id, the upload limit, nothing private served, and one
app server stopped without the site going down."""

import http.client
import os
import re
import shutil
import ssl
import subprocess
import time
import urllib.parse
from pathlib import Path

import pytest

from .servers import BIN, Gunicorn, free_port

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
ROOT = Path(__file__).resolve().parents[3]
pytestmark = [
    pytest.mark.servers,
    pytest.mark.skipif(not Path(NGINX).exists(), reason="nginx not installed (scripts/test.sh installs nginx-light)"),
    pytest.mark.skipif(bool(os.environ.get("DATABASE_URL")), reason="run once, in the SQLite pass"),
]


def _site(tmp: Path, var: Path, app_ports, http_port, https_port) -> str:
    """deploy/nginx/jiesu.conf with its CHANGE lines pointed at this test's servers, ports and files."""
    text = (ROOT / "deploy/nginx/jiesu.conf").read_text()
    for old, new in (
        ("127.0.0.1:8001", f"127.0.0.1:{app_ports[0]}"), ("127.0.0.1:8002", f"127.0.0.1:{app_ports[1]}"),
        ("listen 80;", f"listen 127.0.0.1:{http_port};"), ("listen [::]:80;", ""),
        ("listen 443 ssl http2;", f"listen 127.0.0.1:{https_port} ssl http2;"), ("listen [::]:443 ssl http2;", ""),
        ("/etc/jiesu/tls/fullchain.pem", str(tmp / "cert.pem")), ("/etc/jiesu/tls/privkey.pem", str(tmp / "key.pem")),
        ("/srv/jiesu/var", str(var)), ("/etc/nginx/jiesu-locations.conf", str(ROOT / "deploy/nginx/jiesu-locations.conf")),
    ):
        assert old in text, f"deploy/nginx/jiesu.conf no longer has {old!r}"
        text = text.replace(old, new)
    return text


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("deploy")
    var = tmp / "var"
    app_ports, http_port, https_port = (free_port(), free_port()), free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "JIESU_TEST_NOW")}
    env.update(JIESU_DEMO="1", JIESU_FAST_PASSWORD_HASHER="1", DJANGO_SETTINGS_MODULE="jiesu.settings",
               JIESU_VAR_DIR=str(var), JIESU_HTTPS="1", JIESU_PROXY_SSL_HEADER="X-Forwarded-Proto",
               CSRF_TRUSTED_ORIGINS=f"https://127.0.0.1:{https_port}")
    for argv in (("migrate", "--noinput"), ("seed_demo", "--tickets", "20"), ("collectstatic", "--noinput")):
        subprocess.run([BIN / "jiesu", *argv], env=env, check=True, capture_output=True, timeout=300)
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
                    "-keyout", tmp / "key.pem", "-out", tmp / "cert.pem"], check=True, capture_output=True)
    (tmp / "site.conf").write_text(_site(tmp, var, app_ports, http_port, https_port))
    for name in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (tmp / name).mkdir()
    (tmp / "nginx.conf").write_text(f"""
user root;
daemon off;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log;
events {{}}
http {{
    include /etc/nginx/mime.types;
    access_log {tmp}/access.log;
    client_body_temp_path {tmp}/body; proxy_temp_path {tmp}/proxy; fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi; scgi_temp_path {tmp}/scgi;
    include {tmp}/site.conf;
}}
""")
    check = subprocess.run([NGINX, "-t", "-p", str(tmp), "-c", str(tmp / "nginx.conf")], capture_output=True, text=True)
    assert check.returncode == 0, check.stderr
    apps = [Gunicorn(env, port=port) for port in app_ports]
    nginx = subprocess.Popen([NGINX, "-p", str(tmp), "-c", str(tmp / "nginx.conf")])
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if _request(https_port, "GET", "/healthz")[0] == 200:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, "nginx did not come up"
            time.sleep(0.3)
        yield {"http": http_port, "https": https_port, "apps": apps, "var": var}
    finally:
        nginx.terminate()
        nginx.wait(timeout=20)
        for app in apps:
            app.stop()


def _request(port, method, path, body=None, headers=None):
    conn = http.client.HTTPSConnection("127.0.0.1", port, timeout=30, context=ssl._create_unverified_context())
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, response, response.read()
    finally:
        conn.close()


def test_plain_http_goes_to_https(site):
    conn = http.client.HTTPConnection("127.0.0.1", site["http"], timeout=5)
    conn.request("GET", "/track/")
    response = conn.getresponse()
    assert response.status == 301 and response.getheader("Location").startswith("https://")


def test_static_files_come_from_disk_and_pages_from_jiesu(site):
    css = next((site["var"] / "static").rglob("*.css")).relative_to(site["var"])
    status, response, body = _request(site["https"], "GET", f"/{css.as_posix()}")
    assert status == 200 and body and response.getheader("Cache-Control") == "max-age=604800, public"
    assert response.getheader("X-Request-ID") is None  # nginx answered it alone
    status, response, body = _request(site["https"], "GET", "/track/")
    assert status == 200 and "进度查询" in body.decode()
    assert re.fullmatch(r"[0-9a-f]{32}", response.getheader("X-Request-ID"))  # nginx's $request_id, passed on
    assert "Strict-Transport-Security" in dict(response.getheaders())  # jiesu knows the request came over https


def test_an_operator_logs_in_through_the_proxy(site):
    status, response, body = _request(site["https"], "GET", "/accounts/login/")
    cookie = re.search(r"csrftoken=([^;]+)", response.getheader("Set-Cookie")).group(1)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', body.decode()).group(1)
    origin = f"https://127.0.0.1:{site['https']}"
    form = urllib.parse.urlencode({"csrfmiddlewaretoken": token, "username": "huawu", "password": "jiesu12345"})
    status, response, _ = _request(site["https"], "POST", "/accounts/login/", form, {
        "Content-Type": "application/x-www-form-urlencoded", "Cookie": f"csrftoken={cookie}",
        "Origin": origin, "Referer": f"{origin}/accounts/login/"})
    assert status == 302, status
    session = re.search(r"sessionid=([^;]+)", response.getheader("Set-Cookie")).group(1)
    status, _, body = _request(site["https"], "GET", "/todo/", headers={"Cookie": f"sessionid={session}"})
    assert status == 200 and "我的待办" in body.decode()


def test_limits_and_what_is_never_served(site):
    status, _, _ = _request(site["https"], "POST", "/submit/", b"x" * (33 * 1024 * 1024),
                            {"Content-Type": "application/octet-stream"})
    assert status == 413
    assert _request(site["https"], "GET", "/metrics")[0] == 404
    assert _request(site["https"], "GET", "/media/attachments/anything.pdf")[0] == 404


def test_one_app_server_down_the_site_stays_up(site):
    site["apps"][0].stop()
    statuses = [_request(site["https"], "GET", "/track/")[0] for _ in range(10)]
    assert statuses == [200] * 10
