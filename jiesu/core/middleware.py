"""One guard at the edge for every page, API call and Open311 request.

Text that no column can store (a NUL, which PostgreSQL refuses, or a UTF-16 surrogate standing alone, which a JSON
"\\ud800" escape produces and no encoder can write) is answered 400 before any view runs, in the format of the
part of the site it was sent to. Views and services can then take every string they are given as storable.
"""

import json

from django.db import DatabaseError

from .error_pages import error_response
from .errors import Conflict, ServiceError
from .locks import CONFLICT_MESSAGE, is_lock_conflict
from .validators import is_storable_text

MESSAGE = "提交的内容含有无法保存的字符（如空字符或不成对的代理字符），请删除后重试"


def _unstorable(value, name: str = "") -> str | None:
    """The name of the first field (dotted for nested JSON) holding unstorable text, or None."""
    if isinstance(value, str):
        return None if is_storable_text(value) else (name or "body")
    if isinstance(value, dict):
        for key, item in value.items():
            found = _unstorable(str(key), name) or _unstorable(item, f"{name}.{key}" if name else str(key))
            if found:
                return found
    if isinstance(value, list):
        for index, item in enumerate(value):
            found = _unstorable(item, f"{name}.{index}" if name else str(index))
            if found:
                return found
    return None


def _in_query_dict(query) -> str | None:
    for key, values in query.lists():
        found = _unstorable(key, "query") or next((key for v in values if not is_storable_text(v)), None)
        if found:
            return found
    return None


def find_unstorable(request) -> str | None:
    """The field of this request that holds unstorable text, "path" for the URL, or None when all is well."""
    if not is_storable_text(request.path):
        return "path"
    found = _in_query_dict(request.GET)
    if found or request.method in ("GET", "HEAD", "OPTIONS"):
        return found
    content_type = request.content_type or ""
    if content_type == "application/json":
        try:
            return _unstorable(json.loads(request.body or b"null"))
        except ValueError:
            return None  # not JSON at all: the API's parser answers that
    if content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        try:
            found = _in_query_dict(request.POST)
            return found or next((key for key, f in request.FILES.items() if not is_storable_text(f.name or "")),
                                 None)
        except Exception:  # noqa: BLE001 - a body Django cannot parse (too big, malformed) is the view's to refuse
            return None
    return None


TOO_DEEP = "请求格式无效：嵌套层级过深"


class RejectUnstorableText:
    """Refuses unstorable text before any view runs; turns a lock conflict that escaped its service's retries
    into a 409 instead of a server error. Both answer in the format of the part of the site asked."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            field = find_unstorable(request)
        except RecursionError:  # JSON nested deeper than any parser follows: malformed, not a server fault
            return error_response(request, 400, ServiceError(TOO_DEEP, code="invalid", fields={"body": TOO_DEEP}))
        if field is None:
            response = self.get_response(request)
            if (response.status_code == 405 and request.path.startswith("/api/")
                    and "json" not in response.get("Content-Type", "")):
                # ninja answers a method an operation lacks with a plain English text; clients expect the JSON
                answer = error_response(request, 405)
                answer["Allow"] = response.get("Allow", "")
                return answer
            return response
        refusal = ServiceError(MESSAGE, code="invalid_text", fields={field: "含有无法保存的字符"})
        return error_response(request, 400, refusal)

    def process_exception(self, request, exception):
        if isinstance(exception, DatabaseError) and is_lock_conflict(exception):
            return error_response(request, 409, Conflict(CONFLICT_MESSAGE, code="concurrent_update"))
        return None


class EnterpriseAccountsStayOnTheirPages:
    """An enterprise account (政企直通车, `qy:` users without a Staff row) signed in has no business on staff pages:
    every permission already denies it, and this sends it back to its own pages instead of showing it an empty
    back office (the admin's login form, notification settings, an empty ticket search)."""

    ALLOWED = ("/qiye/", "/static/", "/api/", "/open311/", "/healthz", "/readyz", "/metrics", "/submit/", "/track/",
               "/letters/", "/status/")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (user is not None and user.is_authenticated and user.username.startswith("qy:")
                and not request.path.startswith(self.ALLOWED)):
            from django.shortcuts import redirect

            return redirect("qiye_home")
        return self.get_response(request)
