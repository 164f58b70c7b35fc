"""Rate limits for public pages (进度查询, and the citizen side to come): `hit(key, limit, seconds)` counts one
request for `key` in the current fixed window and says whether it is still within `limit`.

One `INSERT … ON CONFLICT DO UPDATE … RETURNING` per request (SQLite 3.35+ and PostgreSQL): atomic, shared by
every process and host, no cache server needed. django-ratelimit needs memcached or Redis for that (its own
checks refuse the database and file caches as non-atomic), which the embedded default does not have.
"""

import random

from django.db import connection, transaction

from . import clock
from .models import RateCounter


def hit(key: str, limit: int, seconds: int) -> bool:
    """Count this request; True while the key has made at most `limit` requests in the current window."""
    now = int(clock.now().timestamp())
    window = now - now % seconds
    table, quote = RateCounter._meta.db_table, connection.ops.quote_name
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({quote('key')}, {quote('window')}, {quote('count')}) VALUES (%s, %s, 1) "
            f"ON CONFLICT ({quote('key')}, {quote('window')}) DO UPDATE SET {quote('count')} = {table}.{quote('count')} + 1 "
            f"RETURNING {quote('count')}",
            [key[:200], window],
        )
        (count,) = cursor.fetchone()
        if random.random() < 0.01:  # now and then, forget windows long past
            RateCounter.objects.filter(window__lt=now - 86400).delete()
    return count <= limit


def client_address(request) -> str:
    """The address to limit by: REMOTE_ADDR, or behind the one reverse proxy jiesu is configured for
    (JIESU_PROXY_SSL_HEADER), the address that proxy appended to X-Forwarded-For — the last one; earlier ones are
    whatever the client claimed."""
    from django.conf import settings

    if settings.JIESU_TRUSTED_PROXY:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return forwarded.split(",")[-1].strip()[:64]
    return request.META.get("REMOTE_ADDR", "")[:64]
