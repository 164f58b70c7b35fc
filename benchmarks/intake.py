"""Intake throughput: create N tickets through the HTTP API with C concurrent clients; print JSON.

Runs against a fresh database: SQLite in a temp folder by default, or the PostgreSQL given by
DATABASE_URL (scripts/bench.sh starts a throwaway cluster and runs both). The server is gunicorn
(the production WSGI server), 2 workers × 4 threads, on 127.0.0.1.

    python benchmarks/intake.py [--tickets 400] [--concurrency 8]
"""

import argparse
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
    return ordered[index]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=400)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args()

    workdir = tempfile.mkdtemp(prefix="jiesu-bench-")
    env = {
        **os.environ,
        "JIESU_DEMO": "1",
        "JIESU_FAST_PASSWORD_HASHER": "1",
        "DJANGO_SETTINGS_MODULE": "jiesu.settings",
        "JIESU_VAR_DIR": workdir,
    }
    database = "postgresql" if env.get("DATABASE_URL", "").startswith("postgres") else "sqlite"
    if database == "sqlite":
        env.pop("DATABASE_URL", None)

    def jiesu(*argv: str) -> str:
        return subprocess.run([BIN / "jiesu", *argv], env=env, check=True, capture_output=True, text=True).stdout

    jiesu("migrate", "--noinput")
    jiesu("seed_demo", "--tickets", "0")
    token = jiesu("create_token", "huawu", "--name", "benchmark").strip()

    port = free_port()
    server = subprocess.Popen(
        [BIN / "gunicorn", "jiesu.wsgi", "-b", f"127.0.0.1:{port}", "-w", str(args.workers),
         "--threads", str(args.threads), "--log-level", "warning"],
        env=env, cwd=ROOT,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                conn.request("GET", "/api/v1/openapi.json")
                if conn.getresponse().status == 200:
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)

        local = threading.local()
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

        def create(i: int) -> tuple[float, int]:
            if not hasattr(local, "conn"):
                local.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            body = json.dumps({
                "channel": "api",
                "kind": "complaint",
                "content": f"压测工单{i}：幸福里小区3号楼前路灯不亮，请尽快维修。",
                "caller_phone": "13800138000",
                "region": "990102001",
                "category": "020201",
                "address": "江州市明湖区东湖街道幸福里小区3号楼",
            }, ensure_ascii=False).encode()
            started = time.perf_counter()
            local.conn.request("POST", "/api/v1/tickets", body=body, headers=headers)
            response = local.conn.getresponse()
            response.read()
            return (time.perf_counter() - started) * 1000, response.status

        with ThreadPoolExecutor(args.concurrency) as pool:  # warm-up: connections, caches
            list(pool.map(create, range(args.concurrency * 2)))
        started = time.perf_counter()
        with ThreadPoolExecutor(args.concurrency) as pool:
            results = list(pool.map(create, range(args.tickets)))
        elapsed = time.perf_counter() - started
    finally:
        server.terminate()
        server.wait(timeout=10)

    latencies = [ms for ms, _ in results]
    errors = sum(1 for _, status in results if status != 201)
    print(json.dumps({
        "benchmark": "intake",
        "database": database,
        "tickets": args.tickets,
        "concurrency": args.concurrency,
        "server": f"gunicorn {args.workers} workers x {args.threads} threads",
        "errors": errors,
        "elapsed_s": round(elapsed, 3),
        "tickets_per_s": round(args.tickets / elapsed, 1),
        "latency_ms": {
            "p50": round(statistics.median(latencies), 1),
            "p90": round(percentile(latencies, 90), 1),
            "p99": round(percentile(latencies, 99), 1),
            "max": round(max(latencies), 1),
        },
    }, ensure_ascii=False))


if __name__ == "__main__":
    main()
