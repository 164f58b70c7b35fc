"""Intake side by side with django-helpdesk (issue 15); prints one JSON line.

The same harness as benchmarks/intake.py — the same client, the same texts, gunicorn W workers × T threads on
127.0.0.1, C clients on keep-alive connections — against jiesu's `POST /api/v1/tickets` (routing suggestions and
the duplicate look-up on) and django-helpdesk's DRF `POST /api/tickets/` (token authentication, one queue), on the
same machine at the same time: the two servers run side by side and the rounds alternate (jiesu, helpdesk, jiesu,
…), so a noisy moment on a shared machine weighs on both. Reports each side's rounds and medians, and the ratios.

django-helpdesk is not a dependency of jiesu: it runs from its own virtualenv, given as --helpdesk-python or
HELPDESK_PYTHON, made once with

    python3 -m venv /tmp/helpdesk && /tmp/helpdesk/bin/pip install django-helpdesk==2.6.1 gunicorn \\
        'psycopg[binary]' dj-database-url

Without it the script says so and exits 0. On PostgreSQL (DATABASE_URL set, as scripts/bench.sh does) helpdesk
gets a database of its own beside jiesu's in the same cluster.

    python benchmarks/side_by_side.py [--tickets 400] [--rounds 3] [--concurrency 8]
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import intake  # noqa: E402  (the harness)

HERE = Path(__file__).resolve().parent


def helpdesk_bodies(bodies: list[bytes], queue: int) -> list[bytes]:
    """jiesu's request bodies as helpdesk tickets: the same text as title (its first line, cut as jiesu's automatic
    title is) and description."""
    out = []
    for body in bodies:
        data = json.loads(body)
        out.append(json.dumps({
            "queue": queue, "title": data["content"][:30], "description": data["content"],
            "submitter_email": f"{data['caller_phone']}@example.com", "priority": 3,
        }, ensure_ascii=False).encode())
    return out


SETUP = """
from django.contrib.auth import get_user_model
from helpdesk.models import Queue
from rest_framework.authtoken.models import Token
user = get_user_model().objects.create_superuser("bench", "bench@example.com", "bench-password")
queue = Queue.objects.create(title="12345", slug="hotline")
print("KEY", Token.objects.create(user=user).key, queue.pk)
"""


def prepare_helpdesk(python: Path, env: dict) -> tuple[str, int]:
    def admin(*argv: str) -> str:
        return subprocess.run([python, "-m", "django", *argv], env=env, check=True, capture_output=True,
                              text=True).stdout

    admin("migrate", "--noinput")
    line = next(x for x in admin("shell", "-c", SETUP).splitlines() if x.startswith("KEY "))
    _, key, queue = line.split()
    return key, int(queue)


def helpdesk_database(url: str) -> str:
    """A fresh database for helpdesk in the cluster of jiesu's DATABASE_URL."""
    import psycopg

    base, _, _ = url.rpartition("/")
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP DATABASE IF EXISTS helpdesk_bench")
        conn.execute("CREATE DATABASE helpdesk_bench")
    return f"{base}/helpdesk_bench"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--helpdesk-python", default=os.environ.get("HELPDESK_PYTHON", ""))
    intake.harness_arguments(parser)
    args = parser.parse_args()

    python = Path(args.helpdesk_python) if args.helpdesk_python else None
    if python is None or subprocess.run([python, "-c", "import helpdesk, gunicorn"], capture_output=True).returncode:
        print("side_by_side: skipped: no django-helpdesk virtualenv (give --helpdesk-python or HELPDESK_PYTHON; "
              "the module's docstring says how to make one)", file=sys.stderr)
        print(json.dumps({"benchmark": "side_by_side", "skipped": "no django-helpdesk virtualenv"}))
        return

    database = "postgresql" if os.environ.get("DATABASE_URL", "").startswith("postgres") else "sqlite"
    jiesu_env = {**os.environ, "JIESU_DEMO": "1", "JIESU_FAST_PASSWORD_HASHER": "1",
                 "DJANGO_SETTINGS_MODULE": "jiesu.settings", "JIESU_VAR_DIR": tempfile.mkdtemp(prefix="jiesu-bench-")}
    helpdesk_env = {**os.environ, "DJANGO_SETTINGS_MODULE": "helpdesk_site.settings", "PYTHONPATH": str(HERE),
                    "HELPDESK_VAR_DIR": tempfile.mkdtemp(prefix="helpdesk-bench-")}
    if database == "sqlite":
        jiesu_env.pop("DATABASE_URL", None)
        helpdesk_env.pop("DATABASE_URL", None)
    else:
        helpdesk_env["DATABASE_URL"] = helpdesk_database(os.environ["DATABASE_URL"])

    jiesu_token = intake.prepare(jiesu_env)
    helpdesk_token, queue = prepare_helpdesk(python, helpdesk_env)
    jiesu_port, helpdesk_port = intake.free_port(), intake.free_port()
    servers = [
        intake.start_gunicorn([intake.BIN / "gunicorn", "jiesu.wsgi"], jiesu_env, intake.ROOT, jiesu_port,
                              args.workers, args.threads, "/api/v1/openapi.json"),
    ]
    try:
        servers.append(intake.start_gunicorn([python, "-m", "gunicorn", "helpdesk_site.wsgi"], helpdesk_env, HERE,
                                             helpdesk_port, args.workers, args.threads, "/api/"))
        sides = {
            "jiesu": dict(port=jiesu_port, token=jiesu_token, pids=intake.tree(servers[0].pid), bodies=lambda b: b,
                          path="/api/v1/tickets", scheme="Bearer"),
            "helpdesk": dict(port=helpdesk_port, token=helpdesk_token, pids=intake.tree(servers[1].pid),
                             bodies=lambda b: helpdesk_bodies(b, queue), path="/api/tickets/", scheme="Token"),
        }

        def run(side: dict, bodies: list[bytes], db_pids) -> dict:
            return intake.throughput(side["port"], side["token"], side["bodies"](bodies), args.concurrency,
                                     side["pids"], db_pids, path=side["path"], scheme=side["scheme"])

        for side in sides.values():
            run(side, intake.requests_body(args.warmup, seed=1), [])
        db_pids = intake.postgres_pids() if database == "postgresql" else []
        rounds: dict[str, list[dict]] = {name: [] for name in sides}
        for r in range(args.rounds):
            bodies = intake.requests_body(args.tickets, seed=100 + r)
            for name, side in sides.items():
                rounds[name].append(run(side, bodies, db_pids))
    finally:
        for server in servers:
            server.terminate()
            server.wait(timeout=10)

    medians = {name: {key: round(statistics.median(r[key] for r in rows), 2) for key in rows[0]}
               for name, rows in rounds.items()}
    print(json.dumps({
        "benchmark": "side_by_side",
        "database": database,
        "server": f"gunicorn {args.workers} workers x {args.threads} threads, {args.concurrency} clients",
        "tickets_per_round": args.tickets,
        "rounds": rounds,
        "median": medians,
        "ratio_tickets_per_s": round(medians["jiesu"]["tickets_per_s"] / medians["helpdesk"]["tickets_per_s"], 2),
        "ratio_p99": round(medians["jiesu"]["p99_ms"] / medians["helpdesk"]["p99_ms"], 2),
    }, ensure_ascii=False))


if __name__ == "__main__":
    main()
