"""What a load balancer, a monitoring system and a log search need to run jiesu (issue 19; docs/operations.md).

- `/healthz`: the process answers (no database): for the load balancer's liveness check.
- `/readyz`: this server can do its work — the database answers, every migration is applied, the SLA sweep ran
  within JIESU_READY_SWEEP_MINUTES, the notification outbox is below JIESU_READY_OUTBOX_LIMIT — as JSON, 200 or
  503 with each check's result.
- `/metrics`: Prometheus (prometheus-client): request latency by view, tickets by state, the last sweep's duration
  and alerts, the outbox backlog, the routing model in use. Answered only to the addresses in JIESU_METRICS_ALLOW.
  Under gunicorn with several workers, set PROMETHEUS_MULTIPROC_DIR (deploy/ does) so the workers' request
  figures are added up.
- `RequestContext` (middleware) gives every request an id (the proxy's X-Request-ID, or a new one), sends it back,
  and `JsonLogFormatter` writes each log line as JSON with that id, the user and the ticket number in the URL.
"""

import contextvars
import json
import logging
import os
import time
import uuid
from datetime import timedelta

from django.conf import settings
from django.db import DatabaseError, connection
from django.http import Http404, HttpResponse, JsonResponse
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, InfoMetricFamily

from . import clock

REQUEST_SECONDS = Histogram("jiesu_request_seconds", "Time to answer a request, by view", ["view", "method", "status"],
                            buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))

_request: contextvars.ContextVar[dict | None] = contextvars.ContextVar("request_context", default=None)
_MIGRATED = {"done": False}


# ---------------------------------------------------------------- health


def healthz(request):
    return JsonResponse({"status": "ok"})


def _migrations_applied() -> bool:
    if not _MIGRATED["done"]:  # once true it stays true for this process: a new release restarts the servers
        from django.db.migrations.executor import MigrationExecutor

        executor = MigrationExecutor(connection)
        _MIGRATED["done"] = not executor.migration_plan(executor.loader.graph.leaf_nodes())
    return _MIGRATED["done"]


def _checks() -> dict:
    from jiesu.notifications.models import Delivery
    from jiesu.sla.models import SweepRun

    checks: dict[str, dict] = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = {"ok": True}
    except DatabaseError as exc:
        checks["database"] = {"ok": False, "error": type(exc).__name__}
        return checks
    checks["migrations"] = {"ok": _migrations_applied()}
    minutes = settings.JIESU_READY_SWEEP_MINUTES
    if minutes:
        last = SweepRun.objects.order_by("-finished_at").values_list("finished_at", flat=True).first()
        checks["sweep"] = {"ok": last is not None and last >= clock.now() - timedelta(minutes=minutes),
                           "last_finished_at": last.isoformat() if last else None, "within_minutes": minutes}
    limit = settings.JIESU_READY_OUTBOX_LIMIT
    if limit:
        backlog = Delivery.objects.filter(status=Delivery.Status.PENDING).count()
        checks["outbox"] = {"ok": backlog < limit, "pending": backlog, "limit": limit}
    return checks


def readyz(request):
    checks = _checks()
    ready = all(check["ok"] for check in checks.values())
    response = JsonResponse({"status": "ready" if ready else "not_ready", "checks": checks}, status=200 if ready else 503)
    if not ready:
        response["Retry-After"] = str(settings.JIESU_RETRY_AFTER)
    return response


# ---------------------------------------------------------------- metrics


class _StateCollector:
    """Figures read from the database at each scrape (one statement each)."""

    def collect(self):
        from django.db.models import Count

        from jiesu.notifications.models import Delivery
        from jiesu.routing.models import RoutingModel
        from jiesu.sla.models import SweepRun
        from jiesu.tickets.models import Ticket

        try:
            by_state = GaugeMetricFamily("jiesu_tickets", "Tickets by state", labels=["state"])
            for state, n in Ticket.objects.order_by().values_list("state").annotate(n=Count("id")):
                by_state.add_metric([state], n)
            yield by_state
            outbox = GaugeMetricFamily("jiesu_outbox_messages", "Notification outbox by status", labels=["status"])
            for status, n in Delivery.objects.order_by().values_list("status").annotate(n=Count("id")):
                outbox.add_metric([status], n)
            yield outbox
            last = SweepRun.objects.order_by("-finished_at").first()
            if last is not None:
                yield GaugeMetricFamily("jiesu_sweep_last_duration_seconds", "Duration of the last SLA sweep",
                                        value=(last.finished_at - last.started_at).total_seconds())
                yield GaugeMetricFamily("jiesu_sweep_last_finished_timestamp_seconds", "When the last sweep finished",
                                        value=last.finished_at.timestamp())
                alerts = GaugeMetricFamily("jiesu_sweep_last_alerts", "Alerts the last sweep recorded", labels=["kind"])
                for kind, n in (last.counts or {}).items():
                    if isinstance(n, int | float):
                        alerts.add_metric([kind], n)
                yield alerts
            model = RoutingModel.objects.filter(active=True).order_by("-id").first()
            if model is not None:
                yield InfoMetricFamily("jiesu_routing_model", "The routing model in use",
                                       value={"id": str(model.pk), "name": model.name})
        except DatabaseError:
            return


_STATE = _StateCollector()


def metrics(request):
    allowed = {a.strip() for a in settings.JIESU_METRICS_ALLOW.split(",") if a.strip()}
    if request.META.get("REMOTE_ADDR") not in allowed:
        raise Http404
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = CollectorRegistry()
        registry.register(REQUEST_SECONDS)
    registry.register(_STATE)
    return HttpResponse(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)


# ---------------------------------------------------------------- request id, latency, JSON logs


class RequestContext:
    """Outermost middleware: the request's id and its latency by view."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request_id = (request.headers.get("X-Request-ID") or "")[:64] or uuid.uuid4().hex
        token = _request.set({"request_id": request_id, "path": request.path})
        started = time.perf_counter()
        try:
            response = self.get_response(request)
        finally:
            _request.reset(token)
        match = getattr(request, "resolver_match", None)
        view = match.view_name if match and match.view_name else ("api" if request.path.startswith("/api/") else "other")
        REQUEST_SECONDS.labels(view, request.method, str(response.status_code)).observe(time.perf_counter() - started)
        response["X-Request-ID"] = request_id
        return response

    def process_view(self, request, view_func, view_args, view_kwargs):
        context = _request.get()
        if context is not None:
            if "number" in view_kwargs:
                context["ticket"] = view_kwargs["number"]
            user = getattr(request, "user", None)
            if user is not None and getattr(user, "is_authenticated", False):
                context["user"] = user.get_username()


class JsonLogFormatter(logging.Formatter):
    """One JSON object per line: time (UTC), level, logger, message, the request's id, user and ticket number,
    and the traceback if any."""

    def format(self, record):
        entry = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S") + f".{int(record.msecs):03d}Z",
            "level": record.levelname, "logger": record.name, "message": record.getMessage(),
            **(_request.get() or {}),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)

    converter = time.gmtime
