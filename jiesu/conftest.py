"""Shared fixtures: a small organisation with one account per role, and a way to put a ticket in any state."""

import pytest


@pytest.fixture
def world(db):
    from jiesu.tickets.tests.world import World

    return World.build()


@pytest.fixture(autouse=True)
def _fresh_sla_cache():
    """The calendar and rules are cached per process; each test starts from its own database."""
    from jiesu.hotspots import services as hotspots
    from jiesu.routing import services as routing
    from jiesu.sla import services

    for cache in (services, routing, hotspots):
        cache.invalidate()
    yield
    for cache in (services, routing, hotspots):
        cache.invalidate()


@pytest.fixture(autouse=True)
def _data_migration_rows(request):
    """A transactional test empties every table when it ends, data-migration rows (the default time-limit
    rules) included; the next transactional test gets them back, as a fresh database would have them."""
    if "transactional_db" in request.fixturenames or "live_server" in request.fixturenames:
        request.getfixturevalue("transactional_db")
        from jiesu.sla.defaults import create_default_rules
        from jiesu.sla.models import TimeLimitRule

        if not TimeLimitRule.objects.exists():
            create_default_rules(TimeLimitRule)
    yield
