"""Shared fixtures: a small organisation with one account per role, and a way to put a ticket in any state."""

import pytest


@pytest.fixture
def world(db):
    from jiesu.tickets.tests.world import World

    return World.build()


@pytest.fixture(autouse=True)
def _fresh_sla_cache():
    """The calendar and rules are cached per process; each test starts from its own database."""
    from jiesu.routing import services as routing
    from jiesu.sla import services

    services.invalidate()
    routing.invalidate()
    yield
    services.invalidate()
    routing.invalidate()
