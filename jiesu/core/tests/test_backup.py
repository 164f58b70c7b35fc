"""`jiesu backup` and `jiesu restore` round trip (issue 19), with the real commands on a database of their own (a
SQLite file, or on the PostgreSQL pass a database beside the suite's): the same rows, `kpi verify` clean, the
attachments byte for byte; a damaged backup is refused before anything is touched."""

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

ATTACH = """
from django.core.files.uploadedfile import SimpleUploadedFile
from jiesu.tickets import services
from jiesu.tickets.models import Ticket
from jiesu.tickets.workflow import Action
from django.contrib.auth import get_user_model
actor = get_user_model().objects.get(username="huawu")
for i, ticket in enumerate(Ticket.objects.filter(created_by=actor, state="pending_dispatch").order_by("id")[:3]):
    services.perform(ticket.number, Action.ATTACH, actor=actor,
                     file=SimpleUploadedFile(f"现场{i}.pdf", b"%PDF-1.4 " + bytes([i]) * 5000))
"""

DAMAGE = """
from jiesu.kpi.models import KpiDaily
from jiesu.notifications.models import Delivery
from jiesu.tickets.models import Ticket
KpiDaily.objects.all().delete()
Delivery.objects.all().delete()
Ticket.objects.update(content="已损坏")
"""
DAMAGED = ("from jiesu.tickets.models import Ticket; "
           "print(Ticket.objects.filter(content='已损坏').count(), Ticket.objects.count())")


def _damaged(env) -> tuple[int, int]:
    """(tickets damaged, tickets)"""
    damaged, total = _jiesu(env, "shell", "-c", DAMAGED).stdout.split()[-2:]
    return int(damaged), int(total)


def _media(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in root.rglob("*") if p.is_file()}


@pytest.fixture
def env(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "JIESU_TEST_NOW"}
    env.update(JIESU_DEMO="1", JIESU_FAST_PASSWORD_HASHER="1", DJANGO_SETTINGS_MODULE="jiesu.settings",
               JIESU_VAR_DIR=str(tmp_path / "var"))
    if connection.vendor == "postgresql":
        import psycopg

        url = os.environ["DATABASE_URL"]
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("DROP DATABASE IF EXISTS jiesu_backup_test")
            conn.execute("CREATE DATABASE jiesu_backup_test")
        env["DATABASE_URL"] = url.rpartition("/")[0] + "/jiesu_backup_test"
    else:
        env.pop("DATABASE_URL", None)
    return env


def _jiesu(env, *argv, check=True):
    return subprocess.run([sys.executable, "-m", "jiesu.cli", *argv], env=env, check=check, capture_output=True,
                          text=True, timeout=300)


def test_backup_then_restore_puts_back_every_row_and_file(env, tmp_path):
    media = tmp_path / "var" / "media"
    _jiesu(env, "migrate", "-v0")
    _jiesu(env, "seed_demo", "--tickets", "40")
    _jiesu(env, "shell", "-c", ATTACH)
    files_before = _media(media)
    assert len(files_before) == 3

    done = _jiesu(env, "backup", "--to", str(tmp_path / "backup"))
    assert "已备份" in done.stdout
    manifest = json.loads((tmp_path / "backup" / "manifest.json").read_text())
    assert manifest["counts"]["tickets_ticket"] >= 40 and manifest["counts"]["tickets_attachment"] == 3
    assert len([f for f in manifest["files"] if f.startswith("media/")]) == 3
    assert _jiesu(env, "backup", "--to", str(tmp_path / "backup"), check=False).returncode == 1  # not empty

    # Then things go wrong: tickets deleted, an attachment lost.
    _jiesu(env, "shell", "-c", DAMAGE)
    next(p for p in media.rglob("*.pdf")).unlink()

    refused = _jiesu(env, "restore", "--from", str(tmp_path / "backup"), check=False)
    assert refused.returncode == 1 and "--yes" in refused.stderr
    done = _jiesu(env, "restore", "--from", str(tmp_path / "backup"), "--yes")
    assert "行数与清单一致" in done.stdout
    assert _media(media) == files_before
    assert _jiesu(env, "kpi", "verify").returncode == 0
    assert _damaged(env) == (0, manifest["counts"]["tickets_ticket"])


def test_a_damaged_backup_is_refused_before_anything_is_touched(env, tmp_path):
    _jiesu(env, "migrate", "-v0")
    _jiesu(env, "seed_demo", "--tickets", "5")
    _jiesu(env, "backup", "--to", str(tmp_path / "backup"))
    assert "校验一致" in _jiesu(env, "restore", "--from", str(tmp_path / "backup"), "--check").stdout
    dump = next(p for p in (tmp_path / "backup").iterdir() if p.name.startswith("database."))
    data = bytearray(dump.read_bytes())
    data[len(data) // 2] ^= 0xFF
    dump.write_bytes(bytes(data))
    _jiesu(env, "shell", "-c", DAMAGE)
    refused = _jiesu(env, "restore", "--from", str(tmp_path / "backup"), "--yes", check=False)
    assert refused.returncode == 1 and "已损坏" in refused.stderr
    damaged, total = _damaged(env)
    assert damaged == total > 0  # nothing restored
