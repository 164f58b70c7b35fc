"""A deliverer killed (kill -9) in the middle of a batch and started again: every message is delivered, none twice.
Real processes (`jiesu notify deliver`) on their own SQLite database, sending to a fake gateway that honours
Idempotency-Key and is slow enough for the kill to land between sending and recording."""

import os
import sqlite3
import subprocess
import sys
import time

from .fakes import FakeGateway

MESSAGES = 60


def _jiesu(env, *args, **kwargs):
    return subprocess.run([sys.executable, "-m", "jiesu.cli", *args], env=env, check=True, timeout=120, **kwargs)


def test_a_deliverer_killed_mid_batch_delivers_everything_once(tmp_path):
    with FakeGateway(delay=0.05) as gateway:
        env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "JIESU_TEST_NOW")}
        env.update(JIESU_DEMO="1", JIESU_VAR_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="jiesu.settings",
                   JIESU_QUIET_HOURS="", JIESU_SMS_BACKEND="http", JIESU_SMS_HTTP_URL=gateway.url,
                   JIESU_NOTIFY_LEASE_SECONDS="1")
        _jiesu(env, "migrate", "-v0")
        _jiesu(env, "shell", "-c", (
            "from jiesu.notifications import services\n"
            "from jiesu.notifications.models import Delivery\n"
            f"Delivery.objects.bulk_create([services.outbox('sms', f'1380013{{i:04d}}', 'receipt', "
            f"{{'number': str(i), 'query_code': '000000'}}) for i in range({MESSAGES})])"))

        worker = subprocess.Popen([sys.executable, "-m", "jiesu.cli", "notify", "deliver"], env=env)
        deadline = time.monotonic() + 60
        while len(gateway.requests) < MESSAGES // 3 and time.monotonic() < deadline:
            time.sleep(0.01)
        worker.kill()  # SIGKILL: no chance to finish the message in hand
        worker.wait()
        delivered_before = len(gateway.delivered)
        assert 0 < delivered_before < MESSAGES, "the kill should land in the middle of the batch"

        time.sleep(1.2)  # the dead worker's lease runs out
        _jiesu(env, "notify", "deliver", capture_output=True)

    with sqlite3.connect(tmp_path / "jiesu.sqlite3") as db:
        rows = db.execute("SELECT key, status FROM notifications_delivery").fetchall()
    assert len(rows) == MESSAGES and {status for _, status in rows} == {"sent"}
    delivered = [d["key"] for d in gateway.delivered]
    assert sorted(delivered) == sorted(key for key, _ in rows)  # every message once
    assert len(set(delivered)) == MESSAGES
    # What the kill interrupted was sent again with the same key, and the gateway did not deliver it twice.
    assert len(gateway.requests) >= MESSAGES
