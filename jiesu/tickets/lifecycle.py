"""The ticket lifecycle's one seam: where other apps observe tickets being registered and moved.

`tickets.services` knows the workflow, not who watches it. An app that reacts to tickets registers an `Observer`
in its `AppConfig.ready()`; the services call the hook points below, in `order` (lowest first), and nothing else.
The observers today, in order (docs/architecture.md has the table):

     5 channels   created → 欠薪线索: the 欠薪信息 of a clue written with it (refused by field without it);
                  before_move → refuses what a channel's flow forbids (建议/提案: 答复 without a 沟通 and a 答复函,
                  a second 重办; 签收110转办 of anything but an unsigned 110 transfer; 欠薪线索: 答复 without the
                  处理结果; 信访事项: a 回访 but the 代办员's 事心双解); moved → 110联动: the transfer's facts
                  kept and 110 told (签收, 派单, 回传, 退回, 转110) through the outbox; 欠薪线索: a 回访 that did
                  not reach the worker refused while its time runs; 信访事项: 重办 clears the 事心双解
    10 kpi        before_move → snapshot; created, moved → the rollup change (same transaction: the figures and
                  the tickets never disagree)
    20 hotspots   prepare → duplicate look-up; created → look-up keys and 疑似重复/重复来电 stored
    30 routing    prepare → the router's prediction; created → prediction stored, 智能派单 when confident;
                  moved (派单/改派) → the dispatcher's final choice on the prediction
    40 knowledge  moved (closed as resolved) → the case indexed for 相似案例
    50 notifications  created → the caller's 受理回执 (and the unit's notice when 智能派单 dispatched it);
                  moved → the people the action concerns are told (派单 → the unit, 退单 → dispatchers, …) and the
                  caller's 答复 notice; alerted → 临期/超期/催办/升级督办 to the unit (and its leaders, 督办员)
    60 enterprise moved, alerted (超期, 升级督办) → the 帮办员 of the enterprise or matter (帮办事项进展); a ticket
                  that names no enterprise costs no query

Hook points:
- `prepare(draft, actor)`: before a new ticket is written, outside the write transaction; read-only work (the
  draft has no id yet). Its value goes to the same observer's `created`. An exception is logged and the value is
  None: helpers never stop intake.
- `created(ticket, prepared, actor) -> dict | None`: inside the registering transaction, after the ticket and
  its history entry are written. It may return facts for the answer (`duplicates`: what the registering user may
  open; `changed`: True when it moved the ticket on, e.g. 智能派单), or refuse the registration by raising a
  ServiceError (nothing is written). `ticket.submitted` (and `draft.submitted` in `prepare`) is the registration's
  data as given, so a flow reads its own fields there (欠薪信息: `wage_*`).
- `before_move(ticket, action)`: inside an action's transaction, the ticket locked, before the action's effects.
  Its value goes to the same observer's `moved`. It may refuse the action by raising a ServiceError.
- `moved(ticket, transition, before, actor)`: inside the transaction, after the ticket and its history entry are
  written (every action, and each 子单 answered through its 母单).
- `alerted(kind, alerts, now)`: inside the time-limit sweep's transaction, after its history entries are written:
  `kind` is the SystemEvent (sla_warning, sla_overdue, urge, escalate), `alerts` a list of `Alert` (one per
  ticket newly crossing that threshold). The sweep changes no state, so it is not a move.

Hooks inside the transaction run in it: an exception rolls the whole action back, which is right for the rollup
and for plain inserts. A hook that must never stop the action (indexing a case) catches its own failure inside a
savepoint (`transaction.atomic()`), as `knowledge` does. Hooks see no model signals: react here, not to saves.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Observer:
    name: str
    order: int
    prepare: Callable[[Any, Any], Any] | None = None
    created: Callable[[Any, Any, Any], dict | None] | None = None
    before_move: Callable[[Any, Any], Any] | None = None
    moved: Callable[[Any, Any, Any, Any], None] | None = None
    alerted: Callable[[str, list, Any], None] | None = None


@dataclass(frozen=True)
class Alert:
    """One ticket crossing one time-limit threshold in the sweep."""

    ticket_id: int
    clock: str  # sla Clock: sign, contact, reply, callback
    due_at: Any
    state: str
    department_id: int | None


_observers: list[Observer] = []


def register(observer: Observer) -> None:
    """Add an observer (from AppConfig.ready()); one per name, kept in `order`."""
    _observers[:] = sorted([o for o in _observers if o.name != observer.name] + [observer], key=lambda o: o.order)


def observers() -> list[Observer]:
    return list(_observers)


def prepare(draft, actor) -> dict[str, Any]:
    prepared = {}
    for o in _observers:
        if o.prepare is not None:
            try:
                prepared[o.name] = o.prepare(draft, actor)
            except Exception:
                logger.exception("登记前的“%s”处理失败，工单照常登记", o.name)
                prepared[o.name] = None
    return prepared


def created(ticket, prepared: dict[str, Any], actor) -> dict[str, Any]:
    facts: dict[str, Any] = {}
    for o in _observers:
        if o.created is not None:
            facts.update(o.created(ticket, prepared.get(o.name), actor) or {})
    return facts


def before_move(ticket, action) -> dict[str, Any]:
    return {o.name: o.before_move(ticket, action) for o in _observers if o.before_move is not None}


def moved(ticket, transition, before: dict[str, Any], actor) -> None:
    for o in _observers:
        if o.moved is not None:
            o.moved(ticket, transition, before.get(o.name), actor)


def alerted(kind: str, alerts: list[Alert], now) -> None:
    if not alerts:
        return
    for o in _observers:
        if o.alerted is not None:
            o.alerted(kind, alerts, now)
