"""Shared fixtures: a small organisation with one account per role, and a way to put a ticket in any state."""

import pytest

from jiesu.tickets.tests.world import World


@pytest.fixture
def world(db) -> World:
    return World.build()
