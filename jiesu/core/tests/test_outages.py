"""Outages, as an operator of the service meets them (issue 19), with real processes on 127.0.0.1: gunicorn serving
jiesu on a PostgreSQL 15 cluster of the test's own, and clients that retry with an Idempotency-Key.

- The database stops (immediate shutdown, as a crash) and starts again under intake: every answer is 201 or a 503
  in JSON with Retry-After (never a 500, never a page), and jiesu recovers without a restart.
- A gunicorn worker is killed (kill -9) under intake: the clients retry with the same key, and every request is
  filed exactly once — 0 lost, 0 duplicated.
"""

import json
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import uuid
from pathlib import Path

import pytest

from .servers import BIN, Gunicorn, free_port

PG_BIN = Path("/usr/lib/postgresql/15/bin")
pytestmark = [
    pytest.mark.servers,
    pytest.mark.skipif(not (PG_BIN / "initdb").exists(), reason="PostgreSQL 15 binaries not installed"),
    # Its cluster is its own whatever the suite runs on: once is enough (the SQLite pass).
    pytest.mark.skipif(bool(os.environ.get("DATABASE_URL")), reason="run once, in the SQLite pass"),
]

TEXTS = ["东湖路12号门前的窨井盖缺失，晚上很危险。", "幸福里小区3号楼前路灯不亮，请尽快维修。",
         "明湖路与新华街交叉口红绿灯坏了，车辆乱行。", "楼上装修噪音太大，晚上十点还在施工。"]


class Cluster:
    """A throwaway PostgreSQL cluster that can be crashed and started again."""

    def __init__(self, root: Path):
        self.root, self.port = root, free_port()
        self.owner = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        root.mkdir()
        if self.owner:
            shutil.chown(root, "postgres")
        self._run("initdb", "-D", str(root / "data"), "-U", "postgres", "-A", "trust", "-E", "UTF8",
                  "--locale=C.UTF-8", "--no-sync")
        self.start()
        self._run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "jiesu")

    def _run(self, tool, *args):
        subprocess.run([*self.owner, str(PG_BIN / tool), *args], check=True, capture_output=True, cwd=self.root,
                       timeout=120)

    def start(self):
        self._run("pg_ctl", "-D", str(self.root / "data"), "-l", str(self.root / "log"), "-w", "-o",
                  f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off", "start")

    def crash(self):
        self._run("pg_ctl", "-D", str(self.root / "data"), "-m", "immediate", "-w", "stop")

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/jiesu"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    root = tmp_path_factory.mktemp("outage")
    # The cluster's folder must be reachable by its owner (postgres), which pytest's folders are not.
    pg_root = Path(tempfile.mkdtemp(prefix="jiesu-pg-outage."))
    pg_root.chmod(0o755)
    cluster = Cluster(pg_root / "pg")
    env = {k: v for k, v in os.environ.items() if k not in ("JIESU_TEST_NOW",)}
    env.update(JIESU_DEMO="1", JIESU_FAST_PASSWORD_HASHER="1", DJANGO_SETTINGS_MODULE="jiesu.settings",
               JIESU_VAR_DIR=str(root / "var"), DATABASE_URL=cluster.url, JIESU_RETRY_AFTER="1")

    def jiesu(*argv):
        return subprocess.run([BIN / "jiesu", *argv], env=env, check=True, capture_output=True, text=True,
                              timeout=300).stdout

    jiesu("migrate", "--noinput")
    jiesu("seed_demo", "--tickets", "0")
    token = jiesu("create_token", "huawu", "--name", "outage").strip()
    yield cluster, env, token
    subprocess.run([*cluster.owner, str(PG_BIN / "pg_ctl"), "-D", str(cluster.root / "data"), "-m", "immediate",
                    "stop"], capture_output=True, cwd=cluster.root)
    shutil.rmtree(pg_root, ignore_errors=True)


class Clients:
    """Operators filing requests with an Idempotency-Key each, retrying on a 503 or a broken connection as a
    careful client does; every answer is kept."""

    def __init__(self, server, token, count=4):
        self.server, self.token, self.count = server, token, count
        self.answers: list[tuple[int, dict, bytes]] = []
        self.filed: dict[str, str] = {}  # key → number answered
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self.run, args=(n,)) for n in range(count)]

    def run(self, n):
        i = 0
        while not self.stop.is_set():
            key, i = str(uuid.uuid4()), i + 1
            body = json.dumps({"kind": "complaint", "content": f"{TEXTS[i % len(TEXTS)]}（{n}-{i}）",
                               "caller_phone": f"1390{n:03d}{i:04d}", "region": "990102001"}, ensure_ascii=False)
            while True:  # the same request, until it is answered
                try:
                    answer = self.server.request("POST", "/api/v1/tickets", body.encode(), {
                        "Authorization": f"Bearer {self.token}", "Content-Type": "application/json",
                        "Idempotency-Key": key})
                except OSError:
                    time.sleep(0.2)
                    continue
                self.answers.append(answer)
                if answer[0] == 201:
                    self.filed[key] = json.loads(answer[2])["number"]
                    break
                time.sleep(float(answer[1].get("Retry-After", "0.5")))

    def __enter__(self):
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        for t in self.threads:
            t.join(timeout=120)


def _count_tickets(cluster) -> int:
    import psycopg

    with psycopg.connect(cluster.url) as conn:
        return conn.execute("SELECT COUNT(*) FROM tickets_ticket").fetchone()[0]


def test_a_database_crash_answers_503_in_json_and_jiesu_recovers_by_itself(site):
    cluster, env, token = site
    server = Gunicorn(env, workers=1, threads=4)
    try:
        before = _count_tickets(cluster)
        with Clients(server, token) as clients:
            time.sleep(2)
            cluster.crash()
            down = server.request("POST", "/api/v1/tickets", b"{}", {"Authorization": f"Bearer {token}",
                                                                     "Content-Type": "application/json"})
            open311 = server.request("GET", "/open311/v2/requests.json")
            page = server.request("GET", "/letters/")
            time.sleep(2)
            cluster.start()
            time.sleep(3)
        assert down[0] == 503 and down[1]["Retry-After"] == "1"
        assert json.loads(down[2]) == {"code": "service_unavailable", "message": "系统繁忙，请稍后重试", "fields": {}}
        assert open311[0] == 503 and json.loads(open311[2])[0]["code"] == 503
        assert page[0] == 503 and "系统繁忙" in page[2].decode()
        statuses = {status for status, _, _ in clients.answers}
        assert statuses <= {201, 503}, statuses
        assert 503 in statuses, "the crash should have been seen by the clients"
        for status, headers, body in clients.answers:
            if status == 503:
                assert headers["Content-Type"].startswith("application/json")
                assert json.loads(body)["code"] == "service_unavailable"
        # Recovered without a restart: every request was filed once.
        assert _count_tickets(cluster) == before + len(clients.filed)
        assert len(set(clients.filed.values())) == len(clients.filed)
    finally:
        server.stop()


def test_workers_killed_under_intake_lose_nothing_and_file_nothing_twice(site):
    cluster, env, token = site
    server = Gunicorn(env, workers=2, threads=4)
    try:
        before = _count_tickets(cluster)
        killed = 0
        with Clients(server, token, count=6) as clients:
            # Paced by progress, not by the clock (a busy machine boots a new worker slowly): a kill after every
            # eight requests filed, then eight more after the last.
            deadline = time.monotonic() + 240
            for target in (8, 16, 24, 32):
                while len(clients.filed) < target:
                    assert time.monotonic() < deadline, f"intake stalled at {len(clients.filed)} requests"
                    time.sleep(0.05)
                workers = server.workers()
                if target < 32 and workers:
                    os.kill(workers[0], signal.SIGKILL)
                    killed += 1
        assert killed == 3
        assert _count_tickets(cluster) == before + len(clients.filed)  # none lost, none twice
        assert len(set(clients.filed.values())) == len(clients.filed)
        assert {status for status, _, _ in clients.answers} <= {201, 503}
    finally:
        server.stop()
