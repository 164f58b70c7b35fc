"""Real app servers for the tests that need processes (outages, two servers, deployment): gunicorn serving jiesu
on 127.0.0.1, started with an environment of the test's own and ready once /healthz answers."""

import http.client
import json
import socket
import subprocess
import sys
import time
from pathlib import Path

BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Gunicorn:
    def __init__(self, env: dict, *, workers: int = 1, threads: int = 2, port: int | None = None):
        self.port = port or free_port()
        self.process = subprocess.Popen(
            [BIN / "gunicorn", "jiesu.wsgi", "-b", f"127.0.0.1:{self.port}", "-w", str(workers), "--threads",
             str(threads), "--log-level", "critical"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while True:
            try:
                if self.request("GET", "/healthz")[0] == 200:
                    return
            except OSError:
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("gunicorn did not start")
            time.sleep(0.2)

    def request(self, method: str, path: str, body: bytes | None = None, headers: dict | None = None):
        """(status, headers, body) of one request on a new connection."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            response = conn.getresponse()
            return response.status, dict(response.getheaders()), response.read()
        finally:
            conn.close()

    def api(self, method: str, path: str, token: str, payload=None):
        """(status, decoded JSON) of an API call with a token."""
        body = json.dumps(payload, ensure_ascii=False).encode() if payload is not None else None
        status, _, content = self.request(method, path, body, {"Authorization": f"Bearer {token}",
                                                               "Content-Type": "application/json"})
        return status, json.loads(content or b"null")

    def workers(self) -> list[int]:
        return [int(c) for c in Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children").read_text().split()]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=20)
