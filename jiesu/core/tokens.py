"""Per-user API tokens: create (the key is shown once) and authenticate by digest."""

import hashlib
import secrets

from django.utils import timezone

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


def user_for_key(key: str, *, kind: str):
    """The active user whose unrevoked token of this kind has this key, or None: a partner's Open311 key is no
    REST token, and a staff token files nothing through Open311."""
    if not key:
        return None
    token = (
        ApiToken.objects.select_related("user").filter(digest=_digest(key), kind=kind, revoked=False).first()
    )
    if token is None or not token.user.is_active:
        return None
    # Touch last_used_at at most once a minute so reads stay cheap.
    now = timezone.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user
