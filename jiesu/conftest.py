"""Shared fixtures: a small organisation with one account per role, and a way to put a ticket in any state."""

import pytest


@pytest.fixture
def world(db):
    from jiesu.tickets.tests.world import World

    return World.build()
