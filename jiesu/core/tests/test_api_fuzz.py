"""Schema-driven fuzzing with Schemathesis: every operation of /api/v1/openapi.json as every role (and without a
token), and every Open311 endpoint from its description in open311.yaml beside this file.

Each operation gets a bounded number of generated requests, seeded by the role and the operation: the same on
every run and every database, different for each role. Path parameters and codes are drawn half of the time
from the world (tickets in every state, articles in every status, real departments and dates) so that requests
get past 404 and 400 and reach the services. Each request runs in a savepoint that is rolled back: every example
meets the same world, whatever the order. The checks: never a server error; the status is documented; the
content type and the body are the documented ones. JIESU_FUZZ_EXAMPLES=50 makes a longer hunt.
"""

import os
import time
import zlib
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
import schemathesis
import yaml
from django.conf import settings as django_settings
from django.core import signals
from django.core.handlers.wsgi import WSGIHandler
from django.db import close_old_connections, transaction
from django.http import QueryDict
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from jiesu.api import api
from jiesu.core import clock
from jiesu.core.tokens import create_token
from jiesu.directory.models import Role
from jiesu.directory.tests.factories import make_staff
from jiesu.knowledge import excel
from jiesu.knowledge import services as knowledge
from jiesu.open311 import services as open311
from jiesu.open311.models import ServiceAttribute
from jiesu.tickets.models import Channel, Kind
from jiesu.tickets.workflow import MERGEABLE_STATES, TRANSITIONS, Action, State

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
EXAMPLES = int(os.environ.get("JIESU_FUZZ_EXAMPLES", "6"))  # per operation and role: 7 roles make a few dozen
REFUSED_EXAMPLES = 2  # without a valid token every operation stops at 401 (403 for a POST: no CSRF token)
FILE_EXAMPLES = 4  # an uploaded file: a workbook to parse, a file to store
OPEN311_EXAMPLES = 10 * EXAMPLES
OPEN311_SPEC = Path(__file__).with_name("open311.yaml")


@pytest.fixture
def in_process(db):
    """Requests go through Django's WSGI handler in this thread, inside the test's transaction: like Django's test
    client, stop the handler from closing the connection at the start and end of each request."""
    for signal in (signals.request_started, signals.request_finished):
        signal.disconnect(close_old_connections)
    yield WSGIHandler()
    for signal in (signals.request_started, signals.request_finished):
        signal.connect(close_old_connections)


@pytest.fixture
def fuzz_world(world):
    """The shared world, plus a leader and an Open311 partner with one filed request, a ticket in every state,
    articles in every status and an extra question on the category."""
    world.leader = make_staff(Role.LEADER, world.hotline, username="leader")
    # The role without the Open311 account: a partner's own key opens Open311 only.
    world.partner = make_staff(Role.PARTNER, world.hotline, username="partner")
    world.telephony = make_staff(Role.TELEPHONY, world.hotline, username="telephony")
    world.helper = make_staff(Role.HELPER, world.dept_b, username="helper")  # 帮办员: follows no enterprise here
    world.liaison = make_staff(Role.LIAISON, world.hotline, username="liaison")  # sees 建议/提案 only
    world.police = world.police110()  # 110's system: its API also wants a signature (401 without one)
    world.petition_office = make_staff(Role.PETITION, world.hotline, username="xinfang")  # sees 信访事项 only
    world.petition_agent = make_staff(Role.PETITION_AGENT, world.dept_b, username="daiban")  # none assigned here
    partner, world.partner_key = open311.add_partner("江州市民App")
    ServiceAttribute.objects.create(category=world.category, code="when", description="发现时段",
                                    datatype="singlevaluelist", values=[{"key": "night", "name": "夜间"}])
    world.tickets = [world.ticket_in(state) for state in State] + [world.parent_ticket()]
    world.tickets.append(world.new_ticket(kind="complaint", caller_phone="13900000001"))
    extended = world.ticket_in(State.IN_PROGRESS, caller_phone="13900000002")
    world.tickets.append(world.act(extended, Action.REQUEST_EXTENSION, due_at=_days()[-1]))  # one pending
    filed = open311.file_request(partner, QueryDict("service_code=0101&address_string=东湖路1号&description=路灯不亮"))
    world.open311_token = filed["token"]
    article = {"title": "电动自行车上牌", "questions": ["电瓶车去哪上牌"], "answer": "到区车管所办理。"}
    published = knowledge.save_draft(actor=world.admin, data=article, owner="HOT").article.code
    knowledge.submit(actor=world.admin, code=published)
    knowledge.review(actor=world.admin, code=published, approve=True)
    submitted = knowledge.save_draft(actor=world.admin, data={**article, "title": "待审"}, owner="HOT").article.code
    knowledge.submit(actor=world.admin, code=submitted)
    draft = knowledge.save_draft(actor=world.handler_a, data={**article, "title": "草稿"}).article.code
    world.articles = [published, submitted, draft]
    return world


def _days() -> list[str]:
    today = clock.today()
    return [(today + timedelta(days=n)).isoformat() for n in (-30, -1, 0, 10, 60)]


def _api_hints(world) -> dict[str, list]:
    """Real values for the API's fields and parameters, by name."""
    days = _days()
    return {
        "number": [t.number for t in world.tickets],
        "parent": [t.number for t in world.tickets if t.state in MERGEABLE_STATES],
        "code": world.articles,
        "department": ["A", "A1", "B", "HOT"],
        "owner": ["A", "HOT"],
        "category": ["0101", "01"],
        "region": ["110"],
        "regions": [["110"]],
        "caller_phone": ["13800138000"],
        "phone": ["13800138000"],
        "agent": ["operator"],
        "due_at": days,
        "valid_from": days,
        "valid_until": days,
        "created_from": days,
        "created_to": days,
        "start": days[:2],
        "end": days[2:],
        "at": days,
    }


def _open311_hints(world) -> dict[str, list]:
    numbers = [t.number for t in world.tickets]
    moments = [f"{day}T00:00:00+08:00" for day in _days()]
    return {
        "jurisdiction_id": [django_settings.JIESU_OPEN311_JURISDICTION],
        "api_key": [world.partner_key],
        "service_code": ["0101", "01", "0101,01"],
        "service_request_id": [*numbers, ",".join(numbers[:3])],
        "token": [world.open311_token],
        "lat": ["39.904211"],
        "long": ["116.407394"],
        "address_string": ["东湖路1号"],
        "phone": ["13800138000"],
        "media_url": ["https://example.cn/a.jpg"],
        "start_date": moments[:2],
        "end_date": moments[2:],
        "status": ["open", "closed", "open,closed"],
        "extensions": ["true"],
        "page": ["1", "2"],
        "page_size": ["1", "50"],
    }


def _body_fields(operation, *, required: bool = False) -> set[str]:
    key = "required" if required else "properties"
    return {name for body in operation.body for name in body.resolved_schema.get(key) or ()}


def _for_operation(operation, hints: dict, world) -> dict:
    """The hints, with the tickets an action's path names narrowed to those in a state it can start from, and a
    workbook the import can read."""
    slug = operation.path.rsplit("/", 1)[-1].replace("-", "_")
    if operation.path.startswith("/api/v1/tickets/{number}/") and slug in Action.values:
        sources = TRANSITIONS[Action(slug)].sources
        hints = {**hints, "number": [t.number for t in world.tickets if t.state in sources] or hints["number"]}
    if operation.path.endswith("/knowledge/import"):
        hints = {**hints, "file": [excel.export()]}
    return hints


def _apply_hints(case, hints: dict, rnd) -> None:
    """Half of the time, swap a generated value for a real one; also add real values for body fields not
    generated. A third of the bodies keep only their required and hinted fields: a plain request, which
    random optional fields (a coordinate out of range, a bad credit code) would almost always spoil."""
    body = case.body if isinstance(case.body, dict) else None
    if body is not None and rnd.random() < 1 / 3:
        keep = _body_fields(case.operation, required=True) | set(hints)
        for name in [name for name in body if name not in keep]:
            del body[name]
    for where, also in ((case.path_parameters, ()), (case.query, ()), (body, _body_fields(case.operation))):
        if where is None:
            continue
        for name in sorted(set(where) | set(also)):
            if name in hints and rnd.random() < 0.5:
                where[name] = rnd.choice(hints[name])


def _fuzz(operation, *, name: str, headers: dict, examples: int, hints: dict, failures: list,
          mode: GenerationMode = GenerationMode.POSITIVE) -> Counter:
    """Call one operation `examples` times; returns the statuses it answered. Failures are collected. The seed
    comes from the run's name and the operation: the same requests every time, different ones for each role."""
    statuses = Counter()

    @seed(zlib.crc32(f"{name} {mode} {operation.label}".encode()))
    @settings(max_examples=examples, database=None, deadline=None, suppress_health_check=list(HealthCheck),
              phases=[Phase.explicit, Phase.generate, Phase.shrink])
    @given(case=operation.as_strategy(mode), rnd=st.randoms(use_true_random=False))
    def run(case, rnd):
        _apply_hints(case, hints, rnd)
        savepoint = transaction.savepoint()
        try:
            response = case.call(headers=headers)
        finally:
            transaction.savepoint_rollback(savepoint)
        statuses[response.status_code] += 1
        case.validate_response(response, checks=CHECKS)

    try:
        run()
    except (Exception, BaseExceptionGroup) as exc:  # every failing operation is listed, not only the first
        failures.append(f"{operation.label} [{name}, {mode}]:\n{exc}")
    return statuses


def _summary(name: str, operations: int, statuses: Counter, started: float) -> str:
    answers = ", ".join(f"{status}×{n}" for status, n in sorted(statuses.items()))
    return f"{name}: {operations} operations, {statuses.total()} requests ({answers}), {time.monotonic() - started:.1f} s"


def test_every_api_operation_as_every_role(in_process, fuzz_world):
    world = fuzz_world
    schema = schemathesis.openapi.from_dict(api.get_openapi_schema())
    schema.app = in_process
    operations = [result.ok() for result in schema.get_all_operations()]
    hints = _api_hints(world)
    hints_for = {operation.label: _for_operation(operation, hints, world) for operation in operations}
    users = {Role.OPERATOR: world.operator, Role.DISPATCHER: world.dispatcher, Role.HANDLER: world.handler_a,
             Role.SUPERVISOR: world.supervisor, Role.ADMIN: world.admin, Role.LEADER: world.leader,
             Role.PARTNER: world.partner, Role.TELEPHONY: world.telephony, Role.HELPER: world.helper,
             Role.LIAISON: world.liaison, Role.POLICE110: world.police, Role.PETITION: world.petition_office,
             Role.PETITION_AGENT: world.petition_agent}
    assert set(users) == set(Role)
    tokens = {role: {"Authorization": f"Bearer {create_token(user=user, name='fuzz')[1]}"} for role, user in users.items()}
    refused = {"anonymous": {}, "open311 key": {"Authorization": f"Bearer {world.partner_key}"}}
    # (name, headers, what to generate, examples per operation): every role with valid requests; malformed ones
    # (wrong types, missing fields, stray properties) with the widest permissions; no valid token.
    runs = [(role.value, headers, GenerationMode.POSITIVE, EXAMPLES) for role, headers in tokens.items()]
    runs.append(("admin, malformed", tokens[Role.ADMIN], GenerationMode.NEGATIVE, EXAMPLES))
    runs += [(name, headers, GenerationMode.POSITIVE, REFUSED_EXAMPLES) for name, headers in refused.items()]
    failures: list[str] = []
    report, succeeded = [], set()
    for name, headers, mode, examples in runs:
        started, statuses = time.monotonic(), Counter()
        for operation in operations:
            count = min(examples, FILE_EXAMPLES) if "file" in _body_fields(operation) else examples
            seen = _fuzz(operation, name=name, headers=headers, examples=count, hints=hints_for[operation.label],
                         failures=failures, mode=mode)
            statuses += seen
            if name in refused:
                assert set(seen) <= {400, 401, 403}, (name, operation.label, seen)
            if mode == GenerationMode.POSITIVE and any(200 <= status < 300 for status in seen):
                succeeded.add(operation.label)
        report.append(_summary(name, len(operations), statuses, started))
    never = sorted({operation.label for operation in operations} - succeeded)
    print("\n".join(report), f"never 2xx: {', '.join(never) or '-'}", sep="\n")
    assert not failures, "\n\n".join(failures)
    # The hints must keep taking requests past the refusals: most operations answered 2xx at least once.
    assert len(succeeded) >= 0.75 * len(operations), sorted({o.label for o in operations} - succeeded)


def test_every_open311_endpoint(in_process, fuzz_world):
    raw = yaml.safe_load(OPEN311_SPEC.read_text(encoding="utf-8"))
    extended = raw["components"]["schemas"]["ServiceRequest"]["properties"]["extended_attributes"]["properties"]
    extended["channel"]["enum"], extended["kind"]["enum"] = list(Channel.values), list(Kind.values)
    schema = schemathesis.openapi.from_dict(raw)
    schema.app = in_process
    hints = _open311_hints(fuzz_world)
    failures: list[str] = []
    started, statuses, operations = time.monotonic(), Counter(), 0
    for result in schema.get_all_operations():
        operations += 1
        statuses += _fuzz(result.ok(), name="open311", headers={}, examples=OPEN311_EXAMPLES, hints=hints,
                          failures=failures)
    print(_summary("open311", operations, statuses, started))
    assert not failures, "\n\n".join(failures)
    assert statuses[200] and statuses[400] and statuses[404]
