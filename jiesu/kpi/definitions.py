"""What each figure counts: the counts (one definition each, as a filter on tickets plus the date that
places a ticket in a period) and the rates built from them. docs/kpi.md explains every rule and its source.

The same definitions exist twice, on purpose: as database filters (`COUNTS[...].q`, for recomputing from raw
tickets and for listing the tickets behind a number) and as plain Python (`counts_of`, for keeping the daily
rollup up to date as each ticket changes). Tests check that the two agree on generated tickets.
"""

from dataclasses import dataclass
from datetime import date, datetime

from django.conf import settings
from django.db.models import F, Q

from jiesu.core import clock
from jiesu.tickets.models import CallbackStatus, Satisfaction
from jiesu.tickets.workflow import NOT_COUNTED


@dataclass(frozen=True)
class Count:
    name: str
    label: str
    date_field: str  # the ticket's timestamp whose (local) day puts it in a period
    q: Q  # which tickets count (作废 and 已转110 tickets never do)


def _on_time(done: str, due: str) -> Q:
    # No deadline set (no rule applied) means no deadline missed.
    return Q(**{f"{due}__isnull": True}) | Q(**{f"{done}__lte": F(due)})


_VALID = ~Q(state__in=NOT_COUNTED)
# A 子单 (merged into a 母单) is the 母单's work: it counts once, on the 母单. Its caller's 回访 still counts.
_HANDLED = _VALID & Q(department__isnull=False, merged_into__isnull=True)
_RESPONDED = Q(signed_at__isnull=False) & _on_time("signed_at", "sign_due_at") & (
    Q(contact_due_at__isnull=True) | Q(contacted_at__isnull=False, contacted_at__lte=F("contact_due_at"))
)
_REACHED = _VALID & Q(callback_status=CallbackStatus.REACHED)

COUNTS: dict[str, Count] = {c.name: c for c in [
    Count("dispatched", "派单量", "dispatched_at", _HANDLED & Q(dispatched_at__isnull=False)),
    Count("responded", "按时响应", "dispatched_at", _HANDLED & Q(dispatched_at__isnull=False) & _RESPONDED),
    Count("callbacks", "回访量", "callback_at", _VALID & Q(callback_at__isnull=False) & ~Q(callback_status="")),
    Count("callbacks_valid", "有效回访", "callback_at", _REACHED & Q(callback_at__isnull=False)),
    Count("resolved", "已解决", "callback_at", _REACHED & Q(callback_at__isnull=False, resolved=True)),
    Count("satisfied", "满意", "callback_at",
          _REACHED & Q(callback_at__isnull=False, satisfaction=Satisfaction.SATISFIED)),
    Count("basic", "基本满意", "callback_at", _REACHED & Q(callback_at__isnull=False, satisfaction=Satisfaction.BASIC)),
    Count("due", "应办结", "reply_due_at", _HANDLED & Q(reply_due_at__isnull=False)),
    Count("due_closed", "应办结已办结", "reply_due_at", _HANDLED & Q(reply_due_at__isnull=False, replied_at__isnull=False)),
    Count("closed", "办结量", "replied_at", _HANDLED & Q(replied_at__isnull=False)),
    Count("closed_on_time", "按期办结", "replied_at",
          _HANDLED & Q(replied_at__isnull=False) & _on_time("replied_at", "reply_due_at")),
]}


def _day(value: datetime | None) -> date | None:
    return clock.local_day(value) if value else None


def _le(done, due) -> bool:
    return due is None or (done is not None and done <= due)


def counts_of(t) -> dict[str, date]:
    """The counts this ticket adds to, each with the day it adds on. `t` is a Ticket or anything with the same
    attributes (state, department_id, the timestamps, callback fields)."""
    if t.state in NOT_COUNTED:
        return {}
    out: dict[str, date] = {}
    handled = t.department_id is not None and t.merged_into_id is None
    if handled and t.dispatched_at:
        day = _day(t.dispatched_at)
        out["dispatched"] = day
        if t.signed_at and _le(t.signed_at, t.sign_due_at) and (
            t.contact_due_at is None or (t.contacted_at and t.contacted_at <= t.contact_due_at)
        ):
            out["responded"] = day
    if t.callback_at and t.callback_status:
        day = _day(t.callback_at)
        out["callbacks"] = day
        if t.callback_status == CallbackStatus.REACHED:
            out["callbacks_valid"] = day
            if t.resolved is True:
                out["resolved"] = day
            if t.satisfaction == Satisfaction.SATISFIED:
                out["satisfied"] = day
            elif t.satisfaction == Satisfaction.BASIC:
                out["basic"] = day
    if handled and t.reply_due_at:
        out["due"] = _day(t.reply_due_at)
        if t.replied_at:
            out["due_closed"] = out["due"]
    if handled and t.replied_at:
        out["closed"] = _day(t.replied_at)
        if _le(t.replied_at, t.reply_due_at):
            out["closed_on_time"] = out["closed"]
    return out


# ------------------------------------------------------------------ rates


def config() -> dict:
    return settings.JIESU_KPI


@dataclass(frozen=True)
class Rate:
    name: str
    label: str
    numerator: tuple[tuple[str, str], ...]  # (count, weight key or "") summed
    denominator: str

    def value(self, sums: dict[str, int]) -> float | None:
        """The rate in [0, 1], or None when nothing was counted (a rate of nothing is not 0 % or 100 %)."""
        below = sums.get(self.denominator, 0)
        if not below:
            return None
        above = sum(sums.get(c, 0) * (config()[w] if w else 1) for c, w in self.numerator)
        return above / below


RATES: dict[str, Rate] = {r.name: r for r in [
    Rate("response", "响应率", (("responded", ""),), "dispatched"),
    Rate("resolution", "解决率", (("resolved", ""),), "callbacks_valid"),
    Rate("satisfaction", "满意率", (("satisfied", ""), ("basic", "basic_satisfied_weight")), "callbacks_valid"),
    Rate("completion", "办结率", (("due_closed", ""),), "due"),
    Rate("on_time", "按期办结率", (("closed_on_time", ""),), "closed"),
]}


def rates(sums: dict[str, int]) -> dict[str, float | None]:
    values = {name: rate.value(sums) for name, rate in RATES.items()}
    values["score"] = composite(values)
    return values


def composite(values: dict[str, float | None]) -> float | None:
    """综合得分 (0–100): the configured weights of 响应率/解决率/满意率 (and of 百企评机关, `evaluation`, where the
    ranking adds it); a rate with nothing to count is left out and the remaining weights rescaled, so a unit is
    not punished for having had no callbacks."""
    weights = config()["weights"]
    present = {k: w for k, w in weights.items() if w > 0 and values.get(k) is not None}
    if not present:
        return None
    return 100 * sum(values[k] * w for k, w in present.items()) / sum(present.values())


def target(rate: str, department=None) -> float | None:
    """The target for this rate: the unit's own (KpiTarget) if set, else its nearest ancestor's, else the
    city-wide default."""
    from .models import KpiTarget

    node = department
    while node is not None:
        found = KpiTarget.objects.filter(rate=rate, department=node).values_list("value", flat=True).first()
        if found is not None:
            return float(found)
        node = node.parent
    default = KpiTarget.objects.filter(rate=rate, department__isnull=True).values_list("value", flat=True).first()
    return float(default) if default is not None else config()["targets"].get(rate)
