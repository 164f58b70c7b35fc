"""The sweep: each 临期/超期 once, 催办 the day after, escalation after N working days; idempotent; locked."""

import contextlib
import fcntl
import json
from datetime import date, timedelta
from io import StringIO

import pytest
from django.core.management import call_command

from jiesu.core import clock
from jiesu.core.locks import advisory_key
from jiesu.sla import services as sla
from jiesu.sla.calendar import SHANGHAI
from jiesu.sla.models import CalendarDay, ConfigChange, SlaAlert
from jiesu.tickets.models import Ticket, TicketEvent
from jiesu.tickets.workflow import State


def _events(ticket):
    return list(TicketEvent.objects.filter(ticket=ticket, action__in=["sla_warning", "sla_overdue", "urge", "escalate"])
                .order_by("id").values_list("action", "data__clock"))


def test_sweep_records_each_warning_once_and_escalates_in_steps(world):
    ticket = world.ticket_in(State.PENDING_SIGN)  # a 咨询: sign 2 h, contact 24 h, reply 1 working day

    result = sla.sweep(ticket.sign_warn_at + timedelta(seconds=1))
    assert (result.warnings, result.overdue) == (1, 0)
    assert _events(ticket) == [("sla_warning", "sign")]

    again = sla.sweep(ticket.sign_warn_at + timedelta(seconds=2))
    assert (again.warnings, again.overdue, again.urged, again.escalated) == (0, 0, 0, 0)

    sla.sweep(ticket.sign_due_at + timedelta(seconds=1))
    assert _events(ticket)[-1] == ("sla_overdue", "sign")
    assert not Ticket.objects.get(pk=ticket.pk).supervised

    # The next local day: an automatic 催办 flags the ticket as supervised.
    next_day = (ticket.sign_due_at.astimezone(SHANGHAI) + timedelta(days=1)).replace(hour=9, minute=0)
    result = sla.sweep(next_day)
    assert result.urged >= 1
    assert ("urge", "sign") in _events(ticket)
    assert Ticket.objects.get(pk=ticket.pk).supervised

    # Five working days after the missed deadline: escalated to the supervisors.
    later = sla.working_calendar().add_working_days(ticket.sign_due_at, 5) + timedelta(minutes=1)
    result = sla.sweep(later)
    assert ("escalate", "sign") in _events(ticket)
    assert Ticket.objects.get(pk=ticket.pk).escalated_at == later

    counts = SlaAlert.objects.filter(ticket=ticket).count()
    repeat = sla.sweep(later)
    assert (repeat.warnings, repeat.overdue, repeat.urged, repeat.escalated) == (0, 0, 0, 0)
    assert SlaAlert.objects.filter(ticket=ticket).count() == counts


def test_second_run_records_nothing_new(world):
    for state in (State.PENDING_SIGN, State.IN_PROGRESS, State.PENDING_CALLBACK, State.CLOSED):
        world.ticket_in(state)
    far = clock.now() + timedelta(days=40)
    first = sla.sweep(far)
    events = TicketEvent.objects.count()
    second = sla.sweep(far)
    assert first.overdue > 0
    assert (second.warnings, second.overdue, second.urged, second.escalated) == (0, 0, 0, 0)
    assert TicketEvent.objects.count() == events


def test_stopped_and_closed_clocks_are_left_alone(world):
    closed = world.ticket_in(State.CLOSED)
    signed = world.ticket_in(State.IN_PROGRESS)
    sla.sweep(clock.now() + timedelta(days=40))
    assert _events(closed) == []
    assert {c for _, c in _events(signed)} == {"contact", "reply"}  # signed in time: no sign alerts


def test_a_new_deadline_gets_its_own_alerts(world):
    from jiesu.tickets.workflow import Action

    ticket = world.ticket_in(State.IN_PROGRESS)
    swept_at = ticket.reply_due_at + timedelta(minutes=1)
    sla.sweep(swept_at)
    # 重办 after a callback restarts the reply clock: the new deadline is swept afresh.
    with clock.frozen(swept_at + timedelta(minutes=1)):
        ticket = world.act(ticket, Action.REPLY)
        ticket = world.act(ticket, Action.CALLBACK)
        ticket = world.act(ticket, Action.REDO)
    sla.sweep(ticket.reply_due_at + timedelta(minutes=1))
    overdue = [c for a, c in _events(ticket) if a == "sla_overdue" and c == "reply"]
    assert len(overdue) == 2


def test_full_run_finds_what_the_window_skips(world):
    ticket = world.ticket_in(State.PENDING_SIGN)
    late = ticket.sign_due_at + timedelta(days=1)
    sla.sweep(late)
    SlaAlert.objects.all().delete()  # as if the alerts had been lost
    assert sla.sweep(late + timedelta(minutes=1)).overdue == 0  # nothing new crossed since the last run
    assert sla.sweep(late + timedelta(minutes=2), full=True).overdue >= 1


def test_dry_run_counts_without_writing(world):
    world.ticket_in(State.PENDING_SIGN)
    result = sla.sweep(clock.now() + timedelta(days=3), dry_run=True)
    assert result.overdue >= 1
    assert SlaAlert.objects.count() == 0


@contextlib.contextmanager
def _lock_held_by_another_process(name):
    """Hold the job lock the way a second sweep would: another database session, or another open file."""
    from django.conf import settings
    from django.db import connection

    if connection.vendor == "postgresql":
        import psycopg

        with psycopg.connect(**connection.get_connection_params()) as other:
            other.execute("SELECT pg_advisory_lock(%s)", [advisory_key(name)])
            yield
            # released here, not when the server notices the closed session (that lags, and a sweep right after
            # would still find the lock taken)
            other.execute("SELECT pg_advisory_unlock(%s)", [advisory_key(name)])
        return
    with open(settings.VAR_DIR / f"{name}.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def test_command_json_and_lock(world):
    world.ticket_in(State.PENDING_SIGN)
    out = StringIO()
    call_command("sla", "sweep", "--json", "--dry-run", stdout=out)
    assert json.loads(out.getvalue())["dry_run"] is True
    with _lock_held_by_another_process("sla-sweep"):
        err = StringIO()
        call_command("sla", "sweep", stdout=StringIO(), stderr=err)
        assert "正在运行" in err.getvalue()
        assert SlaAlert.objects.count() == 0
    out = StringIO()
    call_command("sla", "sweep", stdout=out)
    assert "临期" in out.getvalue()


@pytest.mark.django_db
def test_import_holidays_is_idempotent_and_recorded():
    out = StringIO()
    call_command("sla", "import-holidays", "--years", "2024-2025", stdout=out)
    assert "调休上班" in out.getvalue()
    assert CalendarDay.objects.get(day=date(2025, 1, 28)).name == "春节"
    assert CalendarDay.objects.get(day=date(2025, 2, 8)).type == CalendarDay.Type.MAKEUP
    assert CalendarDay.objects.get(day=date(2024, 2, 18)).type == CalendarDay.Type.MAKEUP
    changes = ConfigChange.objects.count()
    assert changes == CalendarDay.objects.count()
    call_command("sla", "import-holidays", "--years", "2024-2025", stdout=StringIO())
    assert ConfigChange.objects.count() == changes
    cal = sla.working_calendar()
    assert cal.is_working_day(date(2025, 1, 26)) and not cal.is_working_day(date(2025, 10, 8))


@pytest.mark.django_db
def test_admin_changes_need_a_reason_and_are_logged():
    from django.contrib.auth import get_user_model
    from django.test import Client

    root = get_user_model().objects.create_superuser("root", "r@example.invalid", "pw-12345")
    client = Client()
    client.force_login(root)
    response = client.post("/admin/sla/calendarday/add/", {"day": "2027-01-01", "type": "holiday", "name": "元旦"})
    assert response.status_code == 200 and not CalendarDay.objects.exists()  # reason missing
    client.post("/admin/sla/calendarday/add/",
                {"day": "2027-01-01", "type": "holiday", "name": "元旦", "reason": "2027年放假通知"})
    change = ConfigChange.objects.get()
    assert (change.actor, change.reason, change.after["type"]) == (root, "2027年放假通知", "holiday")
    assert not sla.working_calendar().is_working_day(date(2027, 1, 1))


def test_what_the_sweep_wrote_shows_as_the_system(world):
    """Entries without an actor (临期, 超期, 催办, 升级督办) once made every swept ticket unopenable (500)."""
    from django.test import Client

    from jiesu.core.tokens import create_token

    ticket = world.ticket_in(State.PENDING_SIGN)
    sla.sweep(sla.working_calendar().add_working_days(ticket.sign_due_at, 6))
    assert {a for a, _ in _events(ticket)} == {"sla_warning", "sla_overdue", "urge", "escalate"}

    page = Client()
    page.force_login(world.handler_a)
    response = page.get(f"/tickets/{ticket.number}/")
    assert response.status_code == 200
    assert "系统（时限监控）" in response.content.decode()

    _, token = create_token(user=world.handler_a, name="测试")
    body = Client().get(f"/api/v1/tickets/{ticket.number}", HTTP_AUTHORIZATION=f"Bearer {token}").json()
    swept = [e for e in body["events"] if e["action"] in ("sla_warning", "sla_overdue", "urge", "escalate")]
    assert swept and all(e["actor"] == "系统（时限监控）" and e["by_system"] for e in swept)
    assert not body["events"][0]["by_system"]


def test_the_database_writes_what_python_writes(world, monkeypatch):
    """On PostgreSQL the sweep writes alerts and history entries in SQL (`_record_in_database`); the other path
    (`_record_alerts`, SQLite) writes them from Python. Both must leave the same notes and data."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("the in-database path is PostgreSQL's")
    base = world.ticket_in(State.IN_PROGRESS).reply_due_at
    # Deadlines on a whole second and with microseconds: isoformat() writes them differently.
    deadlines = [base.replace(microsecond=0), base.replace(microsecond=123456), base + timedelta(hours=5)]
    later = sla.working_calendar().add_working_days(max(deadlines), 6)

    def tickets():
        made = [world.ticket_in(State.IN_PROGRESS) for _ in deadlines]
        for ticket, due in zip(made, deadlines, strict=True):
            Ticket.objects.filter(pk=ticket.pk).update(reply_due_at=due, reply_warn_at=due - timedelta(hours=2))
        return made

    def written(made):
        return [list(TicketEvent.objects.filter(ticket=t, data__clock="reply").order_by("id")
                     .values_list("action", "note", "data")) for t in made]

    in_database = tickets()
    sla.sweep(later, full=True)
    in_python = tickets()
    monkeypatch.setattr(connection, "vendor", "sqlite")  # the Python path, on the same database
    sla.sweep(later, full=True)
    monkeypatch.undo()
    assert written(in_database) == written(in_python)
    assert [a for a, _, _ in written(in_database)[0]] == ["sla_warning", "sla_overdue", "urge", "escalate"]
    assert written(in_database)[1][0][2]["due_at"].endswith(".123456+00:00")


def test_workers_write_their_shares_as_one_connection_would(transactional_db, world, settings, monkeypatch):
    """PostgreSQL, outside a caller's transaction: JIESU_SLA_SWEEP_WORKERS connections each write their own share
    of the tickets, here in batches of two. Every ticket gets the same entries, in the same order, as with one."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("the in-database path is PostgreSQL's")
    monkeypatch.setattr(sla, "PG_BATCH", 2)
    shares = []
    worker_share = sla._worker_share
    monkeypatch.setattr(sla, "_worker_share", lambda jobs, now, share, n: (shares.append(share),
                                                                          worker_share(jobs, now, share, n))[1])
    due = world.ticket_in(State.IN_PROGRESS).reply_due_at
    later = sla.working_calendar().add_working_days(due, 6)

    def tickets():
        made = [world.ticket_in(State.IN_PROGRESS) for _ in range(7)]
        Ticket.objects.filter(pk__in=[t.pk for t in made]).update(reply_due_at=due,
                                                                  reply_warn_at=due - timedelta(hours=2))
        return made

    def written(made):
        return [list(TicketEvent.objects.filter(ticket=t, data__clock="reply").order_by("id")
                     .values_list("action", "note", "data")) for t in made]

    settings.JIESU_SLA_SWEEP_WORKERS = 1
    alone = tickets()
    sla.sweep(later, full=True)
    assert shares == []
    settings.JIESU_SLA_SWEEP_WORKERS = 3
    shared = tickets()
    result = sla.sweep(later, full=True)
    assert sorted(shares) == [0, 1, 2]
    assert written(shared) == written(alone)
    assert [a for a, _, _ in written(shared)[0]] == ["sla_warning", "sla_overdue", "urge", "escalate"]
    assert result.urged >= 7 and Ticket.objects.filter(pk__in=[t.pk for t in shared], supervised=True).count() == 7
    assert sla.sweep(later, full=True).urged == 0  # and again: nothing new
