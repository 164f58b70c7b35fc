"""Shared fixtures: a small organisation with one account per role, and a way to put a ticket in any state."""

import os

import pytest

# JIESU_TEST_NOW="2026-02-16T00:30:00+08:00" runs the whole suite as if started at that moment (the clock then
# ticks on), so tests prove they hold at awkward hours: scripts/test.sh pins two of them.
PINNED_NOW = os.environ.get("JIESU_TEST_NOW", "").strip()


def pytest_configure(config):
    if not os.environ.get("DATABASE_URL"):
        # On the in-memory SQLite test database, Django's live server shares the test's one connection with every
        # request thread; pages that poll (the bell) while another page posts would then meet on it ("database
        # table is locked"). Serve one request at a time there, as that one connection can (each answer closes its
        # connection, so a browser's keep-alive cannot hold the server).
        from django.core.servers.basehttp import WSGIServer
        from django.test import testcases

        class OneRequestAtATime(WSGIServer):
            def __init__(self, *args, connections_override=None, **kwargs):
                super().__init__(*args, **kwargs)  # the server's thread already uses the overriding connection

        testcases.LiveServerThread.server_class = OneRequestAtATime
    if PINNED_NOW:
        import time_machine

        config._jiesu_travel = time_machine.travel(PINNED_NOW, tick=True)
        config._jiesu_travel.start()


def pytest_unconfigure(config):
    travel = getattr(config, "_jiesu_travel", None)
    if travel is not None:
        travel.stop()


# Whole-site sweeps (every operation fuzzed, every endpoint × unit, the browser walks) run unpinned on SQLite and
# PostgreSQL; the pinned-clock runs leave them out (-m "not whole_site") so make test stays within minutes. The crawl
# stays in: it opens every page after the sweep, which is where an awkward hour would show.
WHOLE_SITE = ("test_api_fuzz.py", "test_no_unit_sees_another.py", "test_e2e.py")


def pytest_collection_modifyitems(config, items):
    for item in items:
        if item.path.name in WHOLE_SITE:
            item.add_marker(pytest.mark.whole_site)


def pytest_report_header(config):
    if PINNED_NOW:
        from datetime import datetime

        return f"jiesu: clock pinned at {PINNED_NOW} (now {datetime.now().astimezone().isoformat()})"
    return None


@pytest.fixture
def world(db):
    from jiesu.tickets.tests.world import World

    return World.build()


@pytest.fixture(autouse=True)
def _fresh_sla_cache():
    """The calendar and rules are cached per process; each test starts from its own database."""
    from jiesu.core import stamps
    from jiesu.directory import snapshot
    from jiesu.hotspots import services as hotspots
    from jiesu.routing import services as routing
    from jiesu.sla import services

    def forget():
        for cache in (services, routing, hotspots):
            cache.invalidate()
        snapshot.clear()
        stamps.forget()

    forget()
    yield
    forget()


@pytest.fixture(autouse=True)
def _data_migration_rows(request):
    """A transactional test empties every table when it ends, data-migration rows (the default time-limit
    rules, the enterprise qualifications and category tree) included; the next transactional test gets them
    back, as a fresh database would have them."""
    if "transactional_db" in request.fixturenames or "live_server" in request.fixturenames:
        request.getfixturevalue("transactional_db")
        from jiesu.directory.models import Category
        from jiesu.enterprise.defaults import create_categories, create_qualifications
        from jiesu.enterprise.models import Qualification
        from jiesu.sla.defaults import create_default_rules
        from jiesu.sla.models import TimeLimitRule

        if not TimeLimitRule.objects.exists():
            create_default_rules(TimeLimitRule)
        if not Qualification.objects.exists():
            create_qualifications(Qualification)
        if not Category.objects.filter(code="QY").exists():
            create_categories(Category)
    yield
