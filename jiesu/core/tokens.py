"""Per-user API tokens: create (the key is shown once) and authenticate by digest."""

import functools
import hashlib
import secrets

from django.contrib.auth import get_user_model
from django.db import connection
from django.utils import timezone

from . import clock
from .models import ApiToken

PREFIX_LEN = 8


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def create_token(*, user, name: str, kind: str = ApiToken.Kind.API) -> tuple[ApiToken, str]:
    if kind == ApiToken.Kind.API and hasattr(user, "open311_partner"):
        raise ValueError("合作方系统的账号只能使用 Open311 密钥（jiesu open311 add-partner）")
    key = "js_" + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(user=user, name=name, kind=kind, prefix=key[:PREFIX_LEN], digest=_digest(key))
    return token, key


@functools.cache
def _lookup_sql(vendor: str) -> tuple[str, list[str], list[str]]:
    """Every API request authenticates: the token and its user in one statement, composed once (the ORM took
    longer composing it than the database answering it). Also the user's field names and internal types."""
    user_model = get_user_model()
    quote = connection.ops.quote_name
    fields = user_model._meta.concrete_fields
    columns = ", ".join(f"u.{quote(f.column)}" for f in fields)
    sql = (
        f"SELECT t.{quote('id')}, t.{quote('last_used_at')}, {columns} "
        f"FROM {quote(ApiToken._meta.db_table)} t JOIN {quote(user_model._meta.db_table)} u "
        f"ON u.{quote(user_model._meta.pk.column)} = t.{quote('user_id')} "
        f"WHERE t.{quote('digest')} = %s AND t.{quote('kind')} = %s AND t.{quote('revoked')} = %s"
    )
    return sql, [f.attname for f in fields], [f.get_internal_type() for f in fields]


def user_for_key(key: str, *, kind: str):
    """The active user whose unrevoked token of this kind has this key, or None: a partner's Open311 key is no
    REST token, and a staff token files nothing through Open311."""
    if not key:
        return None
    sql, fields, kinds = _lookup_sql(connection.vendor)
    with connection.cursor() as cursor:
        cursor.execute(sql, [_digest(key), kind, False])
        row = cursor.fetchone()
    if row is None:
        return None
    token_id, last_used_at = row[0], clock.from_column(row[1])
    # Dates and booleans as the ORM gives them (SQLite: text, 0/1).
    values = [clock.from_column(value) if kind_of == "DateTimeField" else
              bool(value) if kind_of == "BooleanField" else value
              for kind_of, value in zip(kinds, row[2:], strict=True)]
    user = get_user_model().from_db(connection.alias, fields, values)
    if not user.is_active:
        return None
    # Touch last_used_at at most once a minute so reads stay cheap.
    now = timezone.now()
    if last_used_at is None or (now - last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token_id).update(last_used_at=now)
    return user
