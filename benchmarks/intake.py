"""Intake throughput, and the cost of each busy write; prints one JSON line.

Throughput: N new requests through `POST /api/v1/tickets` from C clients on keep-alive connections, against
gunicorn (the production WSGI server, 2 workers × 4 threads) on 127.0.0.1, routing suggestions and the duplicate
look-up on, repeated for several rounds; the JSON gives each round and the medians: tickets/s, latency
percentiles, and server CPU per ticket (gunicorn's processes, and on PostgreSQL the database's beside it).
Texts are the demo's (written for jiesu): eleven streets' places × the demo's matters, so many requests have
look-alikes, as on a bad day.

Cost per action: in this process, on the same database, the SQL statements and CPU milliseconds of registering
(the API call) and of the three busiest actions — 派单, 签收, 答复 — medians over many tickets.

Runs against a fresh database: SQLite in a temp folder, or the PostgreSQL in DATABASE_URL (scripts/bench.sh runs
both, starting a throwaway PostgreSQL 15).

    python benchmarks/intake.py [--tickets 400] [--rounds 3] [--concurrency 8]
"""

import argparse
import http.client
import json
import os
import random
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
TICK = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
    return ordered[index]


def cpu_seconds(pids) -> float:
    """User + system CPU of these processes so far (from /proc; processes gone since count nothing)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / TICK


def tree(pid: int) -> list[int]:
    """A process and its descendants."""
    out, frontier = [pid], [pid]
    while frontier:
        nxt = []
        for p in frontier:
            try:
                for task in Path(f"/proc/{p}/task").iterdir():
                    nxt += [int(c) for c in (task / "children").read_text().split()]
            except OSError:
                pass
        out += nxt
        frontier = nxt
    return out


def postgres_pids() -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() in ("postgres", "postgresql"):
                    pids.append(int(entry.name))
            except OSError:
                pass
    return pids


def prepare(env: dict) -> str:
    """A fresh jiesu database with the demo directory and routing model (no tickets); the operator's API token."""

    def jiesu(*argv: str) -> str:
        return subprocess.run([BIN / "jiesu", *argv], env=env, check=True, capture_output=True, text=True).stdout

    jiesu("migrate", "--noinput")
    jiesu("seed_demo", "--tickets", "0")
    return jiesu("create_token", "huawu", "--name", "benchmark").strip()


def start_gunicorn(command: list, env: dict, cwd, port: int, workers: int, threads: int, probe: str) -> subprocess.Popen:
    """gunicorn with `workers` × `threads` on 127.0.0.1:port, once `probe` answers."""
    server = subprocess.Popen(
        [*command, "-b", f"127.0.0.1:{port}", "-w", str(workers), "--threads", str(threads), "--log-level", "warning"],
        env=env, cwd=cwd,
    )
    deadline = time.monotonic() + 30
    while True:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", probe)
            if conn.getresponse().status < 500:
                return server
        except OSError:
            if time.monotonic() > deadline:
                server.terminate()
                raise
            time.sleep(0.2)


def requests_body(count: int, seed: int) -> list[bytes]:
    from jiesu.demo import data

    rng = random.Random(seed)
    streets = list(data.PLACES)
    bodies = []
    for _ in range(count):
        street = rng.choice(streets)
        _category, kind, urgency, text = rng.choice(data.TEXTS)
        place = rng.choice(data.PLACES[street])
        bodies.append(json.dumps({
            "channel": "phone", "kind": kind, "urgency": urgency,
            "content": text.format(place=place),
            "caller_name": rng.choice(data.CALLERS),
            "caller_phone": f"139{rng.randrange(10**8):08d}",
            "region": f"{data.DISTRICT[0]}{street}",
            "address": f"江州市{data.DISTRICT[1]}{place}",
        }, ensure_ascii=False).encode())
    return bodies


def throughput(port: int, token: str, bodies: list[bytes], concurrency: int, server_pids, db_pids,
               answered: list[str] | None = None, *, path: str = "/api/v1/tickets", scheme: str = "Bearer") -> dict:
    """Send the bodies to `path`; the numbers of the tickets answered 201 go to `answered`. A connection that breaks
    (a worker killed) counts as an error and the client reconnects."""
    local = threading.local()
    headers = {"Authorization": f"{scheme} {token}", "Content-Type": "application/json"}

    def create(body: bytes) -> tuple[float, int]:
        if not hasattr(local, "conn"):
            local.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        started = time.perf_counter()
        try:
            local.conn.request("POST", path, body=body, headers=headers)
            response = local.conn.getresponse()
            data = response.read()
        except (OSError, http.client.HTTPException):
            local.conn.close()
            del local.conn
            return (time.perf_counter() - started) * 1000, 0
        if response.status == 201 and answered is not None:
            answered.append(json.loads(data)["number"])
        return (time.perf_counter() - started) * 1000, response.status

    server_before, db_before = cpu_seconds(server_pids), cpu_seconds(db_pids)
    client_before = time.process_time()
    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        results = list(pool.map(create, bodies))
    elapsed = time.perf_counter() - started
    server_cpu, db_cpu = cpu_seconds(server_pids) - server_before, cpu_seconds(db_pids) - db_before
    client_cpu = time.process_time() - client_before
    latencies = [ms for ms, _ in results]
    n = len(bodies)
    return {
        "tickets_per_s": round(n / elapsed, 1),
        "errors": sum(1 for _, status in results if status != 201),
        "p50_ms": round(statistics.median(latencies), 1),
        "p90_ms": round(percentile(latencies, 90), 1),
        "p99_ms": round(percentile(latencies, 99), 1),
        "max_ms": round(max(latencies), 1),
        "server_cpu_ms_per_ticket": round(server_cpu * 1000 / n, 2),
        **({"db_cpu_ms_per_ticket": round(db_cpu * 1000 / n, 2)} if db_pids else {}),
        # The client shares the machine: what it costs bounds what any server could reach here.
        "client_cpu_ms_per_ticket": round(client_cpu * 1000 / n, 2),
    }


def kill_check(port: int, token: str, server: subprocess.Popen, concurrency: int, count: int) -> dict:
    """kill -9 one gunicorn worker, then another, while requests stream in; afterwards every ticket answered 201 must
    be in the database, and no number twice (each ticket, its history and its keys commit together or not at all)."""
    import django

    django.setup()
    from django.db.models import Count

    from jiesu.tickets.models import Ticket, TicketEvent

    answered: list[str] = []
    killed = []

    def killer():
        for _ in range(2):
            time.sleep(0.6)
            workers = tree(server.pid)[1:]
            if workers:
                os.kill(workers[0], 9)
                killed.append(workers[0])

    before = Ticket.objects.count()
    thread = threading.Thread(target=killer)
    thread.start()
    result = throughput(port, token, requests_body(count, seed=999), concurrency, [], [], answered)
    thread.join()
    stored = set(Ticket.objects.filter(number__in=answered).values_list("number", flat=True))
    without_history = Ticket.objects.annotate(n=Count("events")).filter(n=0).count()
    duplicated = Ticket.objects.values("number").annotate(n=Count("id")).filter(n__gt=1).count()
    return {
        "workers_killed": len(killed),
        "requests": count,
        "answered_201": len(answered),
        "failed_or_cut": result["errors"],
        "answered_but_missing": len(set(answered) - stored),
        "numbers_twice": duplicated,
        "tickets_without_history": without_history,
        "written_without_answer": Ticket.objects.count() - before - len(answered),
        "events": TicketEvent.objects.count(),
    }


def per_action(token: str, count: int) -> dict:
    """SQL statements and CPU per registration (through the API) and per 派单, 签收, 答复 (through the services the
    pages and API call), medians over `count` tickets, in this process."""
    import django
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    django.setup()
    from django.contrib.auth import get_user_model

    from jiesu.tickets import services
    from jiesu.tickets.workflow import Action

    users = get_user_model().objects
    dispatcher, handler = users.get(username="paidan"), users.get(username="chengban")
    client = Client(HTTP_HOST="127.0.0.1", HTTP_AUTHORIZATION=f"Bearer {token}")
    measured: dict[str, list[tuple[int, float]]] = {"create": [], "dispatch": [], "sign": [], "reply": []}

    def measure(name, call):
        with CaptureQueriesContext(connection) as queries:
            started = time.process_time()
            result = call()
            cpu = time.process_time() - started
        measured[name].append((len(queries.captured_queries), cpu * 1000))
        return result

    bodies = requests_body(count + 20, seed=7)
    for body in bodies[:20]:  # warm-up: caches, the classifier
        client.post("/api/v1/tickets", body, content_type="application/json")
    for body in bodies[20:]:
        response = measure("create", lambda b=body: client.post("/api/v1/tickets", b, content_type="application/json"))
        assert response.status_code == 201, response.content
        number = response.json()["number"]
        measure("dispatch", lambda n=number: services.perform(n, Action.DISPATCH, actor=dispatcher, department="MHCGW"))
        measure("sign", lambda n=number: services.perform(n, Action.SIGN, actor=handler))
        measure("reply", lambda n=number: services.perform(
            n, Action.REPLY, actor=handler, reply_text="已安排现场核查并处理完毕，已电话告知来电人。", result="resolved"))
    return {
        name: {"queries": statistics.median(q for q, _ in rows), "cpu_ms": round(statistics.median(c for _, c in rows), 2)}
        for name, rows in measured.items()
    }


def harness_arguments(parser: argparse.ArgumentParser) -> None:
    """The harness's shape, the same here and in side_by_side.py."""
    parser.add_argument("--tickets", type=int, default=400, help="per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--warmup", type=int, default=50)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    harness_arguments(parser)
    parser.add_argument("--actions", type=int, default=60, help="tickets for the per-action costs (0: skip)")
    parser.add_argument("--kill", type=int, default=300, help="requests for the kill -9 check (0: skip)")
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
    os.environ.clear()
    os.environ.update(env)  # this process measures the per-action costs on the same database
    sys.path.insert(0, str(ROOT))

    token = prepare(env)
    port = free_port()
    server = start_gunicorn([BIN / "gunicorn", "jiesu.wsgi"], env, ROOT, port, args.workers, args.threads,
                            "/api/v1/openapi.json")
    rounds = []
    try:
        server_pids = tree(server.pid)
        throughput(port, token, requests_body(args.warmup, seed=1), args.concurrency, server_pids, [])
        # After the warm-up: the workers' database connections (kept open) have their backends by now.
        db_pids = postgres_pids() if database == "postgresql" else []
        for r in range(args.rounds):
            rounds.append(throughput(port, token, requests_body(args.tickets, seed=100 + r), args.concurrency,
                                     server_pids, db_pids))
        killed = kill_check(port, token, server, args.concurrency, args.kill) if args.kill else None
    finally:
        server.terminate()
        server.wait(timeout=10)

    def median(key: str) -> float:
        return round(statistics.median(r[key] for r in rounds), 2)

    result = {
        "benchmark": "intake",
        "database": database,
        "server": f"gunicorn {args.workers} workers x {args.threads} threads, {args.concurrency} clients",
        "tickets_per_round": args.tickets,
        "rounds": rounds,
        "median": {key: median(key) for key in rounds[0] if key != "errors"},
        "errors": sum(r["errors"] for r in rounds),
    }
    if killed is not None:
        result["kill_9"] = killed
    if args.actions:
        result["per_action"] = per_action(token, args.actions)
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
