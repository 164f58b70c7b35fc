"""The OpenAPI document tells the truth: every refusal with the one error body, the fields services require as
required, and choices as enums of the models' choices. test_api_fuzz.py checks it against the running API."""

from jiesu.api import api
from jiesu.knowledge.models import Article
from jiesu.kpi.definitions import COUNTS, RATES
from jiesu.tickets.api import ACTION_FIELDS
from jiesu.tickets.models import Channel, ReplyResult
from jiesu.tickets.workflow import TRANSITIONS, Action, State

ERROR_BODY = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorOut"}}}


def _document() -> dict:
    return api.get_openapi_schema()


def test_every_operation_lists_its_refusals_with_the_error_body():
    document = _document()
    assert document["components"]["schemas"]["ErrorOut"]["required"] == ["code", "message", "fields"]
    for operations in document["paths"].values():
        for operation in operations.values():
            responses = {int(status): answer for status, answer in operation["responses"].items()}
            assert {400, 401} <= set(responses)
            assert all(responses[status]["content"] == ERROR_BODY for status in responses if status >= 400)
    paths = document["paths"]
    assert set(paths["/api/v1/tickets/{number}/dispatch"]["post"]["responses"]) == {200, 400, 401, 403, 404, 409}
    assert set(paths["/api/v1/tickets"]["post"]["responses"]) == {201, 400, 401, 403, 409}  # no path, no 404
    # no permission asked, but a token that opens only its own interface (110's) is refused
    assert set(paths["/api/v1/directory/regions"]["get"]["responses"]) == {200, 400, 401, 403}
    assert set(paths["/api/v1/kpi/summary"]["get"]["responses"]) == {200, 400, 401, 403}


def test_the_fields_services_require_are_required():
    schemas = _document()["components"]["schemas"]
    assert schemas["TicketIn"]["required"] == ["content"]
    assert schemas["TicketIn"]["properties"]["content"] == {"title": "Content", "type": "string"}  # not null
    for action in ACTION_FIELDS:
        name = "".join(word.title() for word in action.value.split("_")) + "In"
        assert set(schemas[name].get("required", [])) == set(TRANSITIONS[action].required), action
    assert set(schemas["DraftIn"]["required"]) == {"title", "answer"}
    # Outputs: every field is always there (null where it may be empty), the figures by their names too.
    for name in ("TicketDetailOut", "ArticleDetailOut", "CountsOut", "RatesOut"):
        assert set(schemas[name]["required"]) == set(schemas[name]["properties"]), name
    assert set(schemas["CountsOut"]["properties"]) == set(COUNTS)
    assert set(schemas["RatesOut"]["properties"]) == {*RATES, "score"}


def test_choices_are_enums_of_the_models_choices():
    document = _document()
    schemas = document["components"]["schemas"]
    assert schemas["TicketOut"]["properties"]["state"]["enum"] == list(State.values)
    assert schemas["TicketDetailOut"]["properties"]["allowed_actions"]["items"]["enum"] == list(Action.values)
    assert schemas["ArticleOut"]["properties"]["status"]["enum"] == list(Article.Status.values)
    # Inputs take the code or the Chinese label, as the services do.
    assert schemas["ReplyIn"]["properties"]["result"]["enum"] == [*ReplyResult.values, *ReplyResult.labels]
    # A list filter left empty is no filter.
    listing = {p["name"]: p["schema"] for p in document["paths"]["/api/v1/tickets"]["get"]["parameters"]}
    assert listing["channel"]["enum"] == ["", *Channel.values]
    assert listing["sla"]["enum"] == ["", "normal", "warning", "overdue"]
