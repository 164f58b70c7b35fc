"""Two app servers, one database (issue 19): what each process keeps in memory — the directory, the working-day
calendar — follows a change made anywhere else within the stated bound (JIESU_STAMP_RECHECK_SECONDS, core.stamps),
without a restart. Real gunicorn processes on 127.0.0.1; the change is made by a third process (`jiesu shell`), as
the admin on another machine would."""

import os
import subprocess
import time

import pytest

from .servers import BIN, Gunicorn

RECHECK = 1.0  # JIESU_STAMP_RECHECK_SECONDS for the servers
pytestmark = [
    pytest.mark.servers,
    pytest.mark.skipif(bool(os.environ.get("DATABASE_URL")), reason="run once, in the SQLite pass"),
]


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "JIESU_TEST_NOW")}
    env.update(JIESU_DEMO="1", JIESU_FAST_PASSWORD_HASHER="1", DJANGO_SETTINGS_MODULE="jiesu.settings",
               JIESU_VAR_DIR=str(tmp_path_factory.mktemp("two")), JIESU_STAMP_RECHECK_SECONDS=str(RECHECK))

    def jiesu(*argv):
        return subprocess.run([BIN / "jiesu", *argv], env=env, check=True, capture_output=True, text=True,
                              timeout=300).stdout

    jiesu("migrate", "--noinput")
    jiesu("seed_demo", "--tickets", "0")
    tokens = {user: jiesu("create_token", user, "--name", "two").strip() for user in ("huawu", "paidan")}
    a, b = Gunicorn(env), Gunicorn(env)
    yield a, b, tokens, jiesu
    for server in (a, b):
        server.stop()


def _until(check, limit: float) -> float:
    """Seconds until check() holds (fails after `limit`)."""
    started = time.monotonic()
    while not check():
        assert time.monotonic() - started < limit, f"not seen within {limit} s"
        time.sleep(0.05)
    return time.monotonic() - started


def test_a_renamed_category_reaches_the_other_server_within_the_bound(servers):
    a, b, tokens, jiesu = servers

    def name_on(server):
        _, categories = server.api("GET", "/api/v1/directory/categories", tokens["huawu"])
        return next(c["name"] for c in categories if c["code"] == "0201")

    assert name_on(a) == name_on(b) != "路灯设施（改名）"
    jiesu("shell", "-c", "from jiesu.directory.models import Category\n"
                         "c = Category.objects.get(code='0201'); c.name = '路灯设施（改名）'; c.save()")
    seen = _until(lambda: name_on(b) == "路灯设施（改名）", RECHECK + 3)
    assert name_on(a) == "路灯设施（改名）"
    assert seen <= RECHECK + 3


def test_holidays_added_elsewhere_move_the_other_servers_deadlines(servers):
    a, b, tokens, jiesu = servers

    def deadline_on(server) -> str:
        status, ticket = server.api("POST", "/api/v1/tickets", tokens["huawu"], {
            "kind": "complaint", "content": "东湖路12号门前的窨井盖缺失，晚上很危险。", "caller_phone": "13912345678"})
        assert status == 201, ticket
        status, ticket = server.api("POST", f"/api/v1/tickets/{ticket['number']}/dispatch", tokens["paidan"],
                                     {"department": "MHCGW"})
        assert status == 200, ticket
        return ticket["reply_due_at"]

    before_a, before_b = deadline_on(a), deadline_on(b)
    # The next 20 days become holidays (a 调休 decision, say), entered on another machine.
    jiesu("shell", "-c", "from datetime import timedelta\nfrom jiesu.core import clock\nfrom jiesu.sla import services\n"
                         "today = clock.today()\n"
                         "for n in range(20):\n"
                         "    services.set_calendar_day(today + timedelta(days=n), type='holiday', name='测试假期',"
                         " reason='两台服务器')\n")
    _until(lambda: deadline_on(b) > before_b, RECHECK + 3)
    assert deadline_on(a) > before_a
