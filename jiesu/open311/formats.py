"""JSON and XML as GeoReport v2 writes them: the same data, element names from the specification."""

import json
from xml.etree import ElementTree as ET

from django.http import HttpResponse

# XML: the element that wraps each item of a list, by the list's name.
ITEM = {"services": "service", "service_requests": "request", "errors": "error", "attributes": "attribute",
        "values": "value", "endpoints": "endpoint", "formats": "format"}


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _fill(element: ET.Element, value) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            _fill(ET.SubElement(element, key), item)
    elif isinstance(value, list):
        for item in value:
            _fill(ET.SubElement(element, ITEM.get(element.tag, "item")), item)
    else:
        element.text = _text(value)


def to_xml(root: str, value) -> bytes:
    element = ET.Element(root)
    _fill(element, value)
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(element, encoding="utf-8")


def respond(fmt: str, root: str, value, status: int = 200) -> HttpResponse:
    """`root` names the XML document element (services, service_definition, service_requests, discovery,
    errors); JSON is the value itself."""
    if fmt == "xml":
        return HttpResponse(to_xml(root, value), status=status, content_type="text/xml; charset=utf-8")
    return HttpResponse(json.dumps(value, ensure_ascii=False), status=status,
                        content_type="application/json; charset=utf-8")


def error(fmt: str, status: int, description: str) -> HttpResponse:
    return respond(fmt, "errors", [{"code": status, "description": description}], status=status)
