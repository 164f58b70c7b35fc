"""Sending the outbox: `deliver()` is what `jiesu notify deliver` runs (from cron, or as a worker with --loop).

Each message is claimed with a lease (one conditional UPDATE: two deliverers never send the same message at the same
time, on SQLite or PostgreSQL, without holding a transaction open across the network), sent with its idempotency
key, then marked. A deliverer that dies after sending and before marking leaves the lease to run out; the message is
then sent again with the same key, and a gateway that honours keys delivers it once.

Failures: temporary ones (network, 5xx, 429) are tried again after JIESU_NOTIFY_BACKOFF_SECONDS, doubling each
time (at most an hour), up to JIESU_NOTIFY_MAX_ATTEMPTS; then, or at once for a permanent refusal, the message is a
dead letter (status 发送失败), listed in the admin where it can be sent again. 免打扰: SMS that is not urgent waits
for the end of JIESU_QUIET_HOURS (local time) without counting a try. A number that 退订 gets nothing (未发送).
"""

import logging
import time as _time
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db.models import Q
from django.utils import timezone

from jiesu.core import clock

from . import channels, templates
from .models import Channel, Delivery, SmsOptOut

logger = logging.getLogger(__name__)


@dataclass
class DeliverResult:
    sent: int = 0
    retried: int = 0
    dead: int = 0
    held: int = 0
    skipped: int = 0


def quiet_hours() -> tuple[time, time] | None:
    value = settings.JIESU_QUIET_HOURS
    if not value:
        return None
    try:
        start, end = (time.fromisoformat(part.strip()) for part in value.split("-"))
    except ValueError:
        raise ImproperlyConfigured(f"JIESU_QUIET_HOURS must look like 22:00-07:00, not {value!r}") from None
    return start, end


def quiet_until(now: datetime) -> datetime | None:
    """When the quiet hours that `now` falls in end (local time), or None outside them."""
    window = quiet_hours()
    if window is None:
        return None
    start, end = window
    local = timezone.localtime(now)
    at = local.time()
    inside = (start <= at or at < end) if start > end else (start <= at < end)
    if not inside:
        return None
    day = local.date() if at < end else local.date() + timedelta(days=1)
    return timezone.make_aware(datetime.combine(day, end), timezone.get_current_timezone())


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(settings.JIESU_NOTIFY_BACKOFF_SECONDS * 2 ** max(attempts - 1, 0), 3600))


def _claim(pk: int, now: datetime) -> bool:
    free = Q(lease_until__isnull=True) | Q(lease_until__lt=now)
    lease = now + timedelta(seconds=settings.JIESU_NOTIFY_LEASE_SECONDS)
    return Delivery.objects.filter(free, pk=pk, status=Delivery.Status.PENDING).update(lease_until=lease) == 1


def _message(d: Delivery) -> channels.Message:
    if d.channel == Channel.PEER:  # a structured message for another system, not a text
        return channels.Message(key=d.key, to=d.to, text=d.data.get("summary", ""), data=d.data)
    text = templates.render(templates.text_of(d.template), d.data)
    subject = text.removeprefix("【12345】").split("：")[0][:40] if d.channel == Channel.EMAIL else ""
    facts = {"event": d.template, "ticket": d.data.get("number", ""), "link": d.data.get("link", "")}
    return channels.Message(key=d.key, to=d.to, text=text, subject=f"【12345】{subject}" if subject else "",
                            data=facts)


def deliver_one(d: Delivery, now: datetime, result: DeliverResult) -> None:
    update = {"lease_until": None}
    if d.channel == Channel.SMS and SmsOptOut.objects.filter(phone=d.to).exists():
        update.update(status=Delivery.Status.SKIPPED, last_error="该号码已退订短信")
        result.skipped += 1
    elif d.channel == Channel.SMS and not d.urgent and (until := quiet_until(now)) is not None:
        update.update(next_attempt_at=until)
        result.held += 1
    else:
        message = _message(d)
        try:
            receipt = channels.send(d.channel, message)
        except channels.PermanentFailure as exc:
            update.update(status=Delivery.Status.DEAD, attempts=d.attempts + 1, last_error=str(exc)[:2000])
            result.dead += 1
        except Exception as exc:  # TemporaryFailure, or anything unforeseen: try again later
            attempts = d.attempts + 1
            update.update(attempts=attempts, last_error=f"{type(exc).__name__}: {exc}"[:2000])
            if attempts >= settings.JIESU_NOTIFY_MAX_ATTEMPTS:
                update["status"] = Delivery.Status.DEAD
                result.dead += 1
            else:
                update["next_attempt_at"] = now + backoff(attempts)
                result.retried += 1
        else:
            update.update(status=Delivery.Status.SENT, attempts=d.attempts + 1, sent_at=clock.now(),
                          text=message.text, response=str(receipt)[:200], last_error="")
            result.sent += 1
    Delivery.objects.filter(pk=d.pk).update(**update)


def deliver(*, batch: int = 200, now: datetime | None = None) -> DeliverResult:
    """Send what is due, oldest first, up to `batch` messages."""
    result = DeliverResult()
    now = now or clock.now()
    due = (Delivery.objects.filter(status=Delivery.Status.PENDING, next_attempt_at__lte=now)
           .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
           .order_by("next_attempt_at", "id").values_list("pk", flat=True)[:batch])
    for pk in list(due):
        if not _claim(pk, now):
            continue  # another deliverer has it
        d = Delivery.objects.get(pk=pk)
        deliver_one(d, now, result)
    return result


def run(*, loop: bool = False, interval: float = 5, batch: int = 200, stop=None) -> DeliverResult:
    """Deliver once, or keep delivering every `interval` seconds (a worker)."""
    total = DeliverResult()
    while True:
        result = deliver(batch=batch)
        for name in total.__dataclass_fields__:
            setattr(total, name, getattr(total, name) + getattr(result, name))
        if result.sent or result.dead:
            logger.info("已发送 %s 条，失败 %s 条", result.sent, result.dead)
        if not loop or (stop is not None and stop()):
            return total
        if result.sent + result.retried + result.dead + result.skipped < batch:
            _time.sleep(interval)


def requeue(ids, now: datetime | None = None) -> int:
    """发送失败的消息重新发送 (the admin's action): tries start again."""
    return Delivery.objects.filter(pk__in=list(ids), status=Delivery.Status.DEAD).update(
        status=Delivery.Status.PENDING, attempts=0, next_attempt_at=now or clock.now(), lease_until=None)
