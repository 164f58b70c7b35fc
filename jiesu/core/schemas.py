"""Types for the API's schemas, so that the OpenAPI document says what a field may hold and when it must be there.

`choice(Kind)` is a Literal of the codes of a model's TextChoices (or IntegerChoices, or a mapping's keys): the
document shows an enum, and the values come from the one place the model defines them.

`required(str)` is a field of an `InputSchema` that the document lists as required and not null, while the
model still lets it through missing: the service checks it together with every other field and answers all of
them at once, in Chinese, and only after 404/403/409 (which a refusal by the schema would jump ahead of).
"""

from collections.abc import Mapping
from typing import Annotated, Literal

from ninja import Schema
from pydantic import ConfigDict


def choice(*choices, labels: bool = False, blank: bool = False):
    """The codes of `choices`; with `labels`, their Chinese labels too (inputs that services accept either
    way); with `blank`, the empty string (an unset field on output, "no filter" on a list's parameters)."""
    values: list = [""] if blank else []
    for source in choices:
        if isinstance(source, Mapping):
            values += list(source)
            continue
        values += list(source.values)
        if labels:
            values += [str(label) for label in source.labels]
    return Literal[tuple(dict.fromkeys(values))]


class _CheckedByService:
    """Marks a field `required()` made."""


_REQUIRED = _CheckedByService()


def required(annotation):
    """A field the service refuses when missing or blank; give it the default None."""
    return Annotated[annotation | None, _REQUIRED]


def _document_required(schema: dict, model) -> None:
    for name, field in model.model_fields.items():
        if _REQUIRED not in field.metadata:
            continue
        key = field.alias or name
        if key not in schema.setdefault("required", []):
            schema["required"].append(key)
        prop = schema["properties"][key]
        prop.pop("default", None)
        kept = [branch for branch in prop.pop("anyOf", []) if branch.get("type") != "null"]
        if len(kept) == 1:
            prop.update(kept[0])
        elif kept:
            prop["anyOf"] = kept


class InputSchema(Schema):
    """A request body whose `required()` fields the document lists as required."""

    model_config = ConfigDict(json_schema_extra=_document_required)
