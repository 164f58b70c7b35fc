"""Routing: train and evaluate models, predict for a text, record predictions, auto-dispatch.

The ticket services call `on_ticket_created` and `on_dispatched`; views, the API and commands call the rest.
"""

import time
from collections import Counter
from dataclasses import dataclass, field

import numpy as np
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q
from sklearn.metrics import accuracy_score, confusion_matrix, f1_score, precision_recall_fscore_support
from sklearn.model_selection import StratifiedGroupKFold

from jiesu.core import clock
from jiesu.directory.models import Category, Department, Role, Staff, StaffRole
from jiesu.directory.services import suggest_department

from .classifier import DEFAULT_PARAMS, TextClassifier
from .models import Prediction, RoutingModel
from .text import normalize

UNKNOWN = "无法判断"
_loaded: dict = {"key": None, "classifier": None}


# ---------------------------------------------------------------- models


def invalidate() -> None:
    _loaded.update(key=None, classifier=None)


def active() -> tuple[RoutingModel | None, TextClassifier | None]:
    """The active model and its classifier. One small query per call; the classifier is unpickled once per
    process and version, so switching models takes effect at once everywhere."""
    model = RoutingModel.objects.filter(active=True).defer("blob").first()
    if model is None:
        return None, None
    key = (model.pk, model.created_at)  # a pk alone can come back after a rolled-back transaction
    if key != _loaded["key"]:
        blob = RoutingModel.objects.filter(pk=model.pk).values_list("blob", flat=True).first()
        _loaded.update(key=key, classifier=TextClassifier.loads(bytes(blob)))
    return model, _loaded["classifier"]


@transaction.atomic
def activate(model_id: int) -> RoutingModel:
    model = RoutingModel.objects.select_for_update().get(pk=model_id)
    RoutingModel.objects.filter(active=True).exclude(pk=model.pk).update(active=False)
    RoutingModel.objects.filter(pk=model.pk).update(active=True)
    model.active = True  # every process notices on its next prediction: active() asks the database
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
    """Labels → (display name, category, department to dispatch to), with one query for the lot."""
    if level == RoutingModel.Level.DEPARTMENT:
        departments = {d.code: d for d in Department.objects.filter(code__in=labels, active=True)}
        return [(departments[x].name if x in departments else x, None, departments.get(x)) for x in labels]
    categories = Category.objects.filter(Q(code__in=labels) | Q(name__in=labels, level=1)).select_related(
        "parent__parent", "default_department", "parent__default_department", "parent__parent__default_department"
    )
    by_code = {c.code: c for c in categories}
    by_name = {c.name: c for c in categories if c.level == 1}
    resolved = []
    for label in labels:
        category = by_code.get(label) or by_name.get(label)
        if category is None:
            resolved.append((label, None, None))
        else:
            resolved.append((category.path_name, category, suggest_department(category, region)))
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


def on_ticket_created(ticket) -> Prediction | None:
    """Predict for a new ticket, store the prediction, and auto-dispatch when confident enough."""
    result = route(f"{ticket.title}。{ticket.content}", ticket.region)
    if result.model is None:
        return None
    best = result.best or {}
    prediction = Prediction.objects.create(
        ticket=ticket,
        model=result.model,
        suggestions=[{k: v for k, v in s.items() if k in ("label", "name", "probability")} for s in result.suggestions],
        category=best.get("category"),
        department=best.get("department"),
        confidence=result.confidence,
        terms=result.terms,
        created_at=clock.now(),
    )
    limit = threshold()
    agrees = ticket.category_id is None or ticket.category_id == getattr(best.get("category"), "pk", None)
    if limit is not None and result.department is not None and result.confidence >= limit and agrees:
        from jiesu.tickets import services as tickets
        from jiesu.tickets.workflow import Action

        router = router_user()
        if router is not None:
            payload = {"department": result.department.code,
                       "note": f"智能派单：{result.label}（置信度 {result.confidence:.0%}）"}
            if best.get("category") is not None:
                payload["category"] = best["category"].code
            tickets.perform(ticket.number, Action.DISPATCH, actor=router, **payload)
            prediction.source = Prediction.Source.AUTO
            prediction.save(update_fields=["source"])
    return prediction


def on_dispatched(ticket) -> None:
    """Record the final choice on the ticket's latest prediction (every 派单 and 改派 overwrites it)."""
    prediction = ticket.predictions.order_by("-id").first()
    if prediction is None:
        return
    prediction.final_category = ticket.category
    prediction.final_department = ticket.department
    prediction.decided_at = clock.now()
    prediction.save(update_fields=["final_category", "final_department", "decided_at"])


def accept_confident(actor, minimum: float) -> tuple[int, list[tuple[str, str]]]:
    """Dispatch, as `actor`, every ticket waiting for dispatch whose latest prediction names a department
    with at least `minimum` confidence. Each ticket is its own transaction; refusals are reported."""
    from jiesu.core.errors import ServiceError
    from jiesu.tickets import services as tickets
    from jiesu.tickets.models import Ticket
    from jiesu.tickets.workflow import Action, State

    done, failed = 0, []
    waiting = Ticket.objects.visible_to(actor).filter(state=State.PENDING_DISPATCH)
    for ticket in waiting:
        prediction = ticket.predictions.select_related("department", "category").order_by("-id").first()
        if prediction is None or prediction.department is None or prediction.confidence < minimum:
            continue
        payload = {"department": prediction.department.code, "note": f"采纳智能派单建议（{prediction.confidence:.0%}）"}
        if prediction.category is not None and ticket.category_id is None:
            payload["category"] = prediction.category.code
        try:
            tickets.perform(ticket.number, Action.DISPATCH, actor=actor, **payload)
        except ServiceError as exc:
            failed.append((ticket.number, exc.message))
        else:
            done += 1
    return done, failed
