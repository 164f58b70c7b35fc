"""Backup and restore (issue 19; docs/operations.md): the database and the attachments, with a manifest that lets
a restore prove it put back what was saved.

`backup(to)` writes into an empty folder:
- `database.sqlite3` (SQLite's online backup API: a consistent copy while jiesu runs) or `database.dump`
  (`pg_dump --format=custom`, one consistent snapshot);
- `media/`: every attachment file;
- `manifest.json`: when, the database's kind, the last migration of each app, row counts of the main tables, and
  every file's size and SHA-256.

`restore(source)` checks every checksum first (a damaged backup is refused before anything is touched), puts the
database back (SQLite: the backup API again; PostgreSQL: `pg_restore --clean --if-exists`), then the files, and
compares the row counts with the manifest.
"""

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from django.conf import settings
from django.core.files.storage import FileSystemStorage, default_storage
from django.db import connection

from . import clock
from .errors import ServiceError

FORMAT = 1
COUNTED = ("tickets_ticket", "tickets_ticketevent", "tickets_attachment", "kpi_kpidaily", "sla_slaalert",
           "directory_department", "auth_user", "notifications_delivery")


class BackupError(ServiceError):
    code = "backup_failed"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _counts() -> dict[str, int]:
    with connection.cursor() as cursor:
        out = {}
        for table in COUNTED:
            cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)}")
            out[table] = cursor.fetchone()[0]
    return out


def _migrations() -> dict[str, str]:
    from django.db.migrations.recorder import MigrationRecorder

    latest: dict[str, str] = {}
    for app, name in MigrationRecorder(connection).applied_migrations():
        latest[app] = max(latest.get(app, ""), name)
    return dict(sorted(latest.items()))


def _pg_args() -> tuple[list[str], dict]:
    db = settings.DATABASES["default"]
    args = ["--host", db.get("HOST") or "localhost", "--port", str(db.get("PORT") or 5432),
            "--username", db.get("USER") or "postgres", "--dbname", db["NAME"]]
    env = {**os.environ}
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = db["PASSWORD"]
    return args, env


def _run(command: list[str], env: dict) -> None:
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    if done.returncode:
        raise BackupError(f"{Path(command[0]).name} 失败：{done.stderr.strip()[:500]}")


def backup(to: Path) -> dict:
    to = Path(to)
    if to.exists() and any(to.iterdir()):
        raise BackupError(f"备份目录不是空的：{to}")
    to.mkdir(parents=True, exist_ok=True)
    started = clock.now()
    counts, migrations = _counts(), _migrations()
    if connection.vendor == "sqlite":
        database = to / "database.sqlite3"
        connection.ensure_connection()
        target = sqlite3.connect(database)
        try:
            connection.connection.backup(target)
        finally:
            target.close()
    elif connection.vendor == "postgresql":
        database = to / "database.dump"
        args, env = _pg_args()
        _run(["pg_dump", "--format=custom", "--no-owner", "--file", str(database), *args], env)
    else:
        raise BackupError(f"不支持的数据库：{connection.vendor}")
    media_root = Path(settings.MEDIA_ROOT)
    files = {}
    # Attachments in object storage (JIESU_STORAGE=s3) are not copied: the bucket keeps them (versioning,
    # replication); the manifest says so.
    on_disk = isinstance(default_storage, FileSystemStorage)
    if on_disk and media_root.exists():
        for path in sorted(p for p in media_root.rglob("*") if p.is_file() and not p.name.endswith(".part")):
            relative = path.relative_to(media_root).as_posix()
            copy = to / "media" / relative
            copy.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, copy)
            files[f"media/{relative}"] = {"size": copy.stat().st_size, "sha256": _sha256(copy)}
    files[database.name] = {"size": database.stat().st_size, "sha256": _sha256(database)}
    manifest = {"format": FORMAT, "created_at": started.isoformat(), "finished_at": clock.now().isoformat(),
                "database": connection.vendor, "database_file": database.name, "migrations": migrations,
                "attachments": "media/" if on_disk else "object storage: not in this backup",
                "counts": counts, "files": files}
    (to / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1))
    return manifest


def verify(source: Path) -> dict:
    """The manifest, once every file it lists is there with its size and checksum."""
    source = Path(source)
    try:
        manifest = json.loads((source / "manifest.json").read_text())
    except (OSError, ValueError) as exc:
        raise BackupError(f"读不到备份清单 manifest.json：{exc}") from None
    if manifest.get("format") != FORMAT:
        raise BackupError(f"不认识的备份格式：{manifest.get('format')}")
    for name, facts in manifest["files"].items():
        path = source / name
        if not path.is_file() or path.stat().st_size != facts["size"] or _sha256(path) != facts["sha256"]:
            raise BackupError(f"备份文件缺失或已损坏：{name}")
    return manifest


def restore(source: Path) -> dict:
    """Put the backup back in place of the current database and attachments. Returns the manifest and the row
    counts after the restore."""
    source = Path(source)
    manifest = verify(source)
    if manifest["database"] != connection.vendor:
        raise BackupError(f"备份来自 {manifest['database']}，当前数据库是 {connection.vendor}")
    database = source / manifest["database_file"]
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        backup_db = sqlite3.connect(database)
        try:
            backup_db.backup(connection.connection)
        finally:
            backup_db.close()
    else:
        connection.close()  # pg_restore drops and recreates the tables this connection may hold locks on
        args, env = _pg_args()
        _run(["pg_restore", "--clean", "--if-exists", "--no-owner", "--single-transaction", *args, str(database)], env)
    media_root = Path(settings.MEDIA_ROOT)
    if manifest.get("attachments", "media/") == "media/" and isinstance(default_storage, FileSystemStorage):
        if media_root.exists():
            shutil.rmtree(media_root)
        media_root.mkdir(parents=True)
    for name in manifest["files"]:
        if name.startswith("media/"):
            target = media_root / name.removeprefix("media/")
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source / name, target)
    counts = _counts()
    if counts != manifest["counts"]:
        raise BackupError(f"恢复后的行数与备份清单不符：{counts} ≠ {manifest['counts']}")
    return {"manifest": manifest, "counts": counts}
