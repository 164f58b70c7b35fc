"""Routing: train and evaluate models, predict for a text, record predictions, auto-dispatch.

Tickets reach it through the lifecycle seam (`prepare_registration`, `registered`, `moved`: tickets/lifecycle.py);
views, the API and commands call the rest.
"""

import logging
import time
from collections import Counter
from dataclasses import dataclass, field

import numpy as np
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from sklearn.metrics import accuracy_score, confusion_matrix, f1_score, precision_recall_fscore_support
from sklearn.model_selection import StratifiedGroupKFold

from jiesu.core import clock, inserts
from jiesu.core.stamps import Cached, bump
from jiesu.directory.models import Category, Department, Role, Staff, StaffRole
from jiesu.directory.snapshot import directory

from .classifier import DEFAULT_PARAMS, TextClassifier
from .models import Prediction, RoutingModel
from .text import normalize

UNKNOWN = "无法判断"
STAMP = "routing"
logger = logging.getLogger(__name__)


# ---------------------------------------------------------------- models


def _load_active() -> tuple[RoutingModel | None, TextClassifier | None]:
    model = RoutingModel.objects.filter(active=True).first()
    if model is None:
        return None, None
    classifier = TextClassifier.loads(bytes(model.blob))
    model.blob = b""  # the classifier holds what it needs; the blob need not stay in memory twice
    return model, classifier


_active = Cached(STAMP, _load_active)


def invalidate() -> None:
    _active.clear()


def active() -> tuple[RoutingModel | None, TextClassifier | None]:
    """The active model and its classifier, unpickled once per process and activation (core.stamps): switching
    models takes effect in every process at its next stamp check."""
    return _active.get()


@transaction.atomic
def activate(model_id: int) -> RoutingModel:
    model = RoutingModel.objects.select_for_update().get(pk=model_id)
    RoutingModel.objects.filter(active=True).exclude(pk=model.pk).update(active=False)
    RoutingModel.objects.filter(pk=model.pk).update(active=True)
    model.active = True
    bump(STAMP)
    return model


def groups_of(texts: list[str]) -> list[int]:
    """Identical texts (after normalisation) share a group, so cross-validation keeps them in one fold."""
    seen: dict[str, int] = {}
    return [seen.setdefault(normalize(t), len(seen)) for t in texts]


def metrics(labels: list[str], truth: list[str], probabilities: np.ndarray) -> dict:
    predicted = [labels[i] for i in probabilities.argmax(axis=1)]
    top3 = np.argsort(probabilities, axis=1)[:, ::-1][:, :3]
    index = {label: i for i, label in enumerate(labels)}
    in_top3 = [index.get(t, -1) in row for t, row in zip(truth, top3, strict=True)]
    precision, recall, f1, support = precision_recall_fscore_support(
        truth, predicted, labels=labels, zero_division=0
    )
    return {
        "n": len(truth),
        "accuracy": round(float(accuracy_score(truth, predicted)), 4),
        "macro_f1": round(float(f1_score(truth, predicted, labels=labels, average="macro", zero_division=0)), 4),
        "top3_accuracy": round(float(np.mean(in_top3)), 4),
        "per_class": {
            label: {"precision": round(float(p), 4), "recall": round(float(r), 4), "f1": round(float(f), 4),
                    "support": int(s)}
            for label, p, r, f, s in zip(labels, precision, recall, f1, support, strict=True)
        },
        "labels": labels,
        "confusion": confusion_matrix(truth, predicted, labels=labels).tolist(),
    }


def cross_validate(texts, labels, *, params=None, folds=5, progress=None) -> dict:
    """Stratified k-fold with identical texts kept in one fold; out-of-fold probabilities → metrics."""
    params = {**DEFAULT_PARAMS, **(params or {})}
    classes = sorted(set(labels))
    probabilities = np.zeros((len(texts), len(classes)))
    splitter = StratifiedGroupKFold(n_splits=folds, shuffle=True, random_state=0)
    started = time.perf_counter()
    for train_idx, test_idx in splitter.split(texts, labels, groups_of(texts)):
        model = TextClassifier(params).fit([texts[i] for i in train_idx], [labels[i] for i in train_idx])
        fold = model.predict_proba([texts[i] for i in test_idx])
        for column, label in enumerate(model.labels):
            probabilities[test_idx, classes.index(label)] = fold[:, column]
        if progress:
            progress()
    result = metrics(classes, list(labels), probabilities)
    result["folds"] = folds
    result["seconds"] = round(time.perf_counter() - started, 1)
    return result


def train(texts: list[str], labels: list[str], *, name: str, level: str = RoutingModel.Level.CATEGORY,
          params: dict | None = None, source: str = "", activate_it: bool = True, actor=None,
          evaluation: dict | None = None) -> RoutingModel:
    params = {**DEFAULT_PARAMS, **(params or {})}
    started = time.perf_counter()
    classifier = TextClassifier(params).fit(texts, labels)
    seconds = time.perf_counter() - started
    model = RoutingModel.objects.create(
        name=name,
        level=level,
        labels=classifier.labels,
        params=params,
        training={"source": source, "n": len(texts), "classes": dict(Counter(labels)),
                  "train_seconds": round(seconds, 2)},
        evaluation=evaluation or {},
        blob=classifier.dumps(),
        created_by=actor,
    )
    if activate_it:
        model = activate(model.pk)
    return model


def training_data_from_tickets(level: str = RoutingModel.Level.CATEGORY) -> tuple[list[str], list[str]]:
    """Closed tickets with their final category (or department): what dispatchers and handlers settled on,
    corrections included."""
    from jiesu.tickets.models import Ticket
    from jiesu.tickets.workflow import State

    tickets = Ticket.objects.filter(state=State.CLOSED, category__isnull=False).select_related(
        "category", "department"
    )
    texts, labels = [], []
    for t in tickets.iterator():
        label = t.category.code if level == RoutingModel.Level.CATEGORY else (t.department.code if t.department else "")
        if label:
            texts.append(f"{t.title}。{t.content}")
            labels.append(label)
    return texts, labels


# ---------------------------------------------------------------- prediction


@dataclass
class Route:
    judgeable: bool
    suggestions: list[dict] = field(default_factory=list)  # [{label, name, probability, category, department}]
    terms: list[str] = field(default_factory=list)
    model: RoutingModel | None = None

    @property
    def best(self) -> dict | None:
        return self.suggestions[0] if self.suggestions else None

    @property
    def confidence(self) -> float:
        return self.best["probability"] if self.best else 0.0

    @property
    def department(self) -> Department | None:
        return self.best["department"] if self.best else None

    @property
    def label(self) -> str:
        return self.best["name"] if self.best else UNKNOWN


def _resolve(labels: list[str], level: str, region) -> list[tuple[str, Category | None, Department | None]]:
    """Labels → (display name, category, department to dispatch to), from the in-memory directory."""
    d = directory()
    if level == RoutingModel.Level.DEPARTMENT:
        departments = [d.department(x) for x in labels]
        return [(dept.name if dept else x, None, dept) for x, dept in zip(labels, departments, strict=True)]
    resolved = []
    region_id = region.pk if region is not None else None
    for label in labels:
        category = d.category_codes.get(label) or d.top_category_names.get(label)
        if category is None:
            resolved.append((label, None, None))
        else:
            resolved.append((category.path_name, category, d.suggest(category.pk, region_id)))
    return resolved


def route(text: str, region=None, k: int = 3) -> Route:
    model, classifier = active()
    if classifier is None:
        return Route(judgeable=False)
    top = classifier.top_k(text, k)
    if not top:
        return Route(judgeable=False, model=model)
    suggestions = [
        {"label": s.label, "name": name, "probability": round(s.probability, 4), "category": category,
         "department": department}
        for s, (name, category, department) in zip(top, _resolve([s.label for s in top], model.level, region),
                                                   strict=True)
    ]
    return Route(judgeable=True, suggestions=suggestions, terms=classifier.explain(text, top[0].label),
                 model=model)


def threshold() -> float | None:
    return settings.JIESU_ROUTING_AUTO_DISPATCH_THRESHOLD


def router_user():
    """The account auto-dispatch acts as: 智能派单, a dispatcher of the hotline centre."""
    centre = Department.objects.filter(kind=Department.Kind.HOTLINE_CENTER, active=True).order_by("pk").first()
    if centre is None:
        return None
    user, created = get_user_model().objects.get_or_create(
        username="router", defaults={"first_name": "智能派单", "is_active": True}
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    staff, _ = Staff.objects.get_or_create(user=user, defaults={"department": centre})
    StaffRole.objects.get_or_create(staff=staff, role=Role.DISPATCHER)
    return user


def predict(ticket) -> Route:
    """Before the ticket is written (read-only, outside the write transaction): the router's suggestions."""
    return route(f"{ticket.title}。{ticket.content}", ticket.region)


def record(ticket, result: Route) -> Prediction | None:
    """Inside the transaction that writes the ticket: store the prediction, and auto-dispatch when confident
    enough (JIESU_ROUTING_AUTO_DISPATCH_THRESHOLD) and the operator chose no other category."""
    if result.model is None:
        return None
    best = result.best or {}
    prediction = Prediction(
        ticket=ticket,
        model=result.model,
        suggestions=[{k: v for k, v in s.items() if k in ("label", "name", "probability")} for s in result.suggestions],
        category=best.get("category"),
        department=best.get("department"),
        confidence=result.confidence,
        terms=result.terms,
        created_at=clock.now(),
    )
    inserts.insert(prediction)
    limit = threshold()
    from jiesu.tickets.models import HANDED_OVER_CHANNELS

    if ticket.channel in HANDED_OVER_CHANNELS:
        return prediction
    agrees = ticket.category_id is None or ticket.category_id == getattr(best.get("category"), "pk", None)
    if limit is None or result.department is None or result.confidence < limit or not agrees:
        return prediction
    from jiesu.hotspots import services as hotspots

    if hotspots.has_open_duplicate(ticket):  # 并单 first: a dispatcher decides (the 派单台 shows the match)
        return prediction
    router = router_user()
    if router is None:
        return prediction
    from jiesu.tickets import services as tickets
    from jiesu.tickets.workflow import Action

    payload = {"department": result.department.code,
               "note": f"智能派单：{result.label}（置信度 {result.confidence:.0%}）"}
    if best.get("category") is not None:
        payload["category"] = best["category"].code
    try:
        tickets.perform(ticket.number, Action.DISPATCH, actor=router, **payload)  # its own savepoint
    except Exception:  # the ticket waits for a dispatcher instead
        logger.exception("智能派单失败，工单 %s 转人工派单", ticket.number)
        return prediction
    prediction.source = Prediction.Source.AUTO
    prediction.save(update_fields=["source"])
    return prediction


# The lifecycle observer (tickets.lifecycle; registered in apps.py).


def prepare_registration(draft, actor) -> Route | None:
    """Before a new ticket is written: the router's prediction (none for a 咨询 answered at intake)."""
    return None if getattr(draft, "answered_at_intake", False) else predict(draft)


def registered(ticket, result: Route | None, actor) -> dict | None:
    """The new ticket is written: store the prediction and dispatch it when confident."""
    if result is None:
        return None
    prediction = record(ticket, result)
    return {"changed": True} if prediction is not None and prediction.source == Prediction.Source.AUTO else None


def moved(ticket, transition, before, actor) -> None:
    from jiesu.tickets.workflow import Action

    if transition.action == Action.DISPATCH:
        on_dispatched(ticket)


def on_dispatched(ticket) -> None:
    """Record the final choice on the ticket's latest prediction (every 派单 and 改派 overwrites it): one statement."""
    latest = Prediction.objects.filter(ticket=ticket).order_by("-id").values("pk")[:1]
    Prediction.objects.filter(pk__in=latest).update(
        final_category_id=ticket.category_id, final_department_id=ticket.department_id, decided_at=clock.now()
    )


@dataclass
class PlannedDispatch:
    """One row of 一键派出's confirmation: the ticket, where its prediction would send it, or why it is held back."""

    number: str
    title: str
    department: object
    category: object
    confidence: float
    held: str = ""


def confident_plan(actor, minimum: float, numbers=None) -> list[PlannedDispatch]:
    """What 一键派出 would do: every ticket waiting for dispatch (or only `numbers`) whose latest prediction names a
    department with at least `minimum` confidence. Held back, with the reason: an open 疑似重复 (并单 is decided
    first, as 智能派单 does) and a suggestion naming a unit whose 退单 of the ticket was upheld."""
    from jiesu.hotspots import services as hotspots
    from jiesu.tickets.models import ReturnRequest, Ticket
    from jiesu.tickets.workflow import State

    waiting = Ticket.objects.visible_to(actor).filter(state=State.PENDING_DISPATCH).order_by("created_at", "id")
    if numbers is not None:
        waiting = waiting.filter(number__in=list(numbers))
    latest = {}
    for p in Prediction.objects.filter(ticket__in=waiting).select_related("department", "category").order_by("id"):
        latest[p.ticket_id] = p
    returned = set(ReturnRequest.objects.filter(ticket__in=waiting, status=ReturnRequest.Status.APPROVED)
                   .values_list("ticket_id", "department_id"))
    duplicated = hotspots.with_open_duplicate(waiting)
    plan = []
    for ticket in waiting:
        p = latest.get(ticket.pk)
        if p is None or p.department is None or p.confidence < minimum:
            continue
        row = PlannedDispatch(ticket.number, ticket.title, p.department, p.category if ticket.category_id is None
                              else None, p.confidence)
        if (ticket.pk, p.department_id) in returned:
            row.held = f"建议的{p.department.name}已退回此单，请人工改派"
        elif ticket.pk in duplicated:
            row.held = "有疑似重复的在办工单，请先研判是否并单"
        plan.append(row)
    return plan


def accept_confident(actor, minimum: float, numbers=None) -> tuple[int, list[tuple[str, str]]]:
    """Dispatch, as `actor`, what confident_plan() lists (only `numbers`, when given: the tickets the dispatcher
    confirmed). Each ticket is its own transaction; refusals and held-back tickets are reported."""
    from jiesu.core.errors import ServiceError
    from jiesu.tickets import services as tickets
    from jiesu.tickets.workflow import Action

    done, failed = 0, []
    plan = confident_plan(actor, minimum, numbers)
    if numbers is not None:  # confirmed, but dispatched, merged or changed since the list was shown
        planned = {row.number for row in plan}
        failed += [(n, "已不在待派单，或智能派单建议已低于所选置信度，未派出")
                   for n in dict.fromkeys(str(n)[:20] for n in numbers) if n not in planned]
    for row in plan:
        if row.held:
            failed.append((row.number, row.held))
            continue
        payload = {"department": row.department.code, "note": f"采纳智能派单建议（{row.confidence:.0%}）"}
        if row.category is not None:
            payload["category"] = row.category.code
        try:
            tickets.perform(row.number, Action.DISPATCH, actor=actor, **payload)
        except ServiceError as exc:
            failed.append((row.number, exc.message))
        else:
            done += 1
    return done, failed
