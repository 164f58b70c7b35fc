"""API tokens: the key opens the API for an active user until revoked; a key of another kind opens nothing."""

from datetime import datetime

from django.test import Client

from jiesu.core.models import ApiToken
from jiesu.core.tokens import create_token, user_for_key


def _status(key: str) -> int:
    return Client(HTTP_AUTHORIZATION=f"Bearer {key}").get("/api/v1/tickets").status_code


def test_a_token_opens_the_api_until_revoked_or_its_user_leaves(world):
    token, key = create_token(user=world.dispatcher, name="测试")
    assert _status(key) == 200
    token.refresh_from_db()
    assert token.last_used_at is not None

    user = user_for_key(key, kind=ApiToken.Kind.API)  # the user as the ORM would load them
    fresh = type(user).objects.get(pk=user.pk)
    assert [getattr(user, f.attname) for f in user._meta.concrete_fields] == \
        [getattr(fresh, f.attname) for f in fresh._meta.concrete_fields]
    assert isinstance(user.date_joined, datetime) and user.date_joined.tzinfo is not None
    assert user.is_superuser is False and user.is_active is True and user._state.adding is False

    assert user_for_key(key, kind=ApiToken.Kind.OPEN311) is None  # a key opens one door
    assert _status(key + "x") == 401 and _status("") == 401

    world.dispatcher.is_active = False
    world.dispatcher.save()
    assert _status(key) == 401
    world.dispatcher.is_active = True
    world.dispatcher.save()
    assert _status(key) == 200

    token.revoked = True
    token.save()
    assert _status(key) == 401
