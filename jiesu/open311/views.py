"""/open311/v2/…{.json,.xml}: thin views over services; every failure is a spec error list, never a page."""

import logging
from functools import wraps

from django.views.decorators.csrf import csrf_exempt

from jiesu.core import idempotency

from . import services
from .formats import error, respond
from .services import Open311Error

logger = logging.getLogger(__name__)


def endpoint(methods: tuple[str, ...]):
    def decorate(view):
        @csrf_exempt  # partners authenticate with api_key, not a browser session
        @wraps(view)
        def wrapper(request, fmt, **kwargs):
            if request.method not in methods:
                return error(fmt, 405, f"不支持 {request.method} 请求")
            params = request.POST if request.method == "POST" else request.GET
            try:
                services.check_jurisdiction(params.get("jurisdiction_id"))
                return view(request, fmt, params, **kwargs)
            except Open311Error as exc:
                return error(fmt, exc.status, exc.description)
        return wrapper
    return decorate


@endpoint(("GET",))
def discovery(request, fmt, params):
    return respond(fmt, "discovery", services.discovery(request.build_absolute_uri("/open311/v2/")))


@endpoint(("GET",))
def service_list(request, fmt, params):
    return respond(fmt, "services", services.services_list())


@endpoint(("GET",))
def service_definition(request, fmt, params, code):
    return respond(fmt, "service_definition", services.service_definition(code))


@endpoint(("GET", "POST"))
def requests(request, fmt, params):
    if request.method == "POST":
        # A partner that retries with the same Idempotency-Key (header or field) files the request once.
        partner = services.partner_for(params.get("api_key"))
        claim = services.idempotency_claim(request, partner, params)
        try:
            return idempotency.respond_once(
                claim, lambda: services.file_request(partner, params, claim=claim),
                lambda filed: respond(fmt, "service_requests", [filed]),
                rebuild=lambda ticket: respond(fmt, "service_requests", [services.filed_answer(ticket)]))
        except idempotency.KeyReused as exc:
            raise Open311Error(exc.status, exc.message) from None
    return respond(fmt, "service_requests", services.find_requests(params))


@endpoint(("GET",))
def one_request(request, fmt, params, number):
    extensions = services.flag(params, "extensions")
    return respond(fmt, "service_requests", [services.one_request(number, extensions=extensions)])


@endpoint(("GET",))
def token(request, fmt, params, token):
    return respond(fmt, "service_requests", [services.token_lookup(token)])


def not_found(request, rest=""):
    fmt = "xml" if rest.endswith(".xml") else "json"
    return error(fmt, 404, f"没有这个 Open311 接口：/open311/v2/{rest}")
