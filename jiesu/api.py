"""The REST API under /api/v1/: one NinjaAPI, token or session auth, errors as {code, message, fields}."""

from django.http import Http404
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.security import HttpBearer, django_auth

from jiesu.core.errors import PermissionDenied, ServiceError
from jiesu.core.models import ApiToken
from jiesu.core.tokens import user_for_key
from jiesu.directory.permissions import has_perm


class TokenAuth(HttpBearer):
    """`Authorization: Bearer <key>`; keys are made with `jiesu create-token USER`."""

    def authenticate(self, request, token):
        user = user_for_key(token, kind=ApiToken.Kind.API)
        if user is not None and has_perm(user, "police110.peer"):
            # 110's system speaks only the signed interface: its token alone must not read or file tickets
            raise PermissionDenied("110联动系统的令牌只能用于 /api/v1/police110/ 接口（须签名）", code="peer_only")
        if user is not None:
            request.user = user
        return user


class ErrorOut(Schema):
    """Every refusal, whatever its status."""

    code: str  # for programs: invalid, unauthenticated, action_forbidden, ticket_not_found, transition_not_allowed…
    message: str  # for people, in Chinese
    fields: dict[str, str]  # field → what is wrong with it, in Chinese; empty when no one field is to blame


ERROR_STATUSES = {
    400: "输入有误：缺少字段、格式不正确、取值无效，或含有无法保存的字符",
    401: "未登录或API令牌无效",
    403: "无权执行（会话认证的写操作还需 CSRF 令牌）",
    404: "不存在或无权查看",
    409: "对象当前的状态不允许此操作，或与他人同时进行的操作冲突",
}



def refusals(method: str, path: str) -> list[int]:
    """The 4xx statuses of one operation (`path` below /api/v1). Every operation can answer 400 (refused input,
    and unstorable text anywhere in a request: core.middleware), 401 and 403 (a permission check, for a POST also
    the CSRF check of a session, and everywhere a token that opens only another interface). 404: the ticket or article the path names. 409: a POST that changes a
    ticket or an article, refused in its current state (workflow, review) or for a concurrent change."""
    statuses = [400, 401, 403]  # the open reads too: a system's token that opens only its own interface (110's)
    if "{" in path:
        statuses.append(404)
    if method == "post" and ("{" in path or path == "/tickets"):
        statuses.append(409)
    if path.startswith("/police110/"):  # 110联动: a ticket 110 was not handed (404), or its state (409)
        statuses += [404, 409]
    return statuses


class JiesuAPI(NinjaAPI):
    def get_openapi_schema(self, *, path_prefix=None, path_params=None):
        """Ninja documents only each operation's success; add the refusals, all with the one error body."""
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        root = (path_prefix if path_prefix is not None else self.get_root_path(path_params or {})).rstrip("/")
        schema.setdefault("components", {}).setdefault("schemas", {})["ErrorOut"] = ErrorOut.model_json_schema()
        body = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorOut"}}}
        for path, operations in schema["paths"].items():
            for method, operation in operations.items():
                for status in refusals(method, path.removeprefix(root)):
                    operation["responses"].setdefault(status, {"description": ERROR_STATUSES[status],
                                                               "content": body})
        return schema


api = JiesuAPI(
    title="接诉即办 jiesu API",
    version="1",
    description="12345 接诉即办工单接口。认证：请求头 `Authorization: Bearer <令牌>`，或已登录的会话（需 CSRF）。"
    "错误统一返回 `{code, message, fields}`。",
    auth=[TokenAuth(), django_auth],
    urls_namespace="api",
)


def _error(request, status: int, code: str, message: str, fields: dict | None = None):
    return api.create_response(request, {"code": code, "message": message, "fields": fields or {}}, status=status)


@api.exception_handler(ServiceError)
def on_service_error(request, exc: ServiceError):
    return _error(request, exc.status, exc.code, exc.message, exc.fields)


@api.exception_handler(NinjaValidationError)
def on_validation_error(request, exc: NinjaValidationError):
    fields = {}
    for error in exc.errors:
        location = [str(p) for p in error.get("loc", ()) if p not in ("body", "payload", "query", "path", "form")]
        name = ".".join(location) or "body"
        kind = error.get("type")
        fields[name] = "缺少该字段" if kind == "missing" else "取值无效" if kind == "literal_error" else "格式不正确"
    return _error(request, 400, "invalid", "提交的内容格式有误，请检查后重试", fields)


@api.exception_handler(RecursionError)
def on_too_deep(request, exc):
    # JSON nested a thousand levels deep overflows the parser: a malformed request, not a server fault
    return _error(request, 400, "invalid", "请求格式无效：嵌套层级过深")


@api.exception_handler(AuthenticationError)
def on_auth_error(request, exc):
    return _error(request, 401, "unauthenticated", "未登录或API令牌无效")


@api.exception_handler(Http404)
def on_not_found(request, exc):
    return _error(request, 404, "not_found", "请求的资源不存在")


@api.exception_handler(HttpError)
def on_http_error(request, exc: HttpError):
    # Ninja raises these for requests it cannot even parse (e.g. malformed JSON).
    messages = {400: "请求格式无效，无法解析", 403: "无权访问", 404: "请求的资源不存在", 405: "不支持的请求方法"}
    code = "invalid" if exc.status_code == 400 else "http_error"
    return _error(request, exc.status_code, code, messages.get(exc.status_code, "请求无效"))


from jiesu.channels.api import router as police110_router  # noqa: E402
from jiesu.directory.api import router as directory_router  # noqa: E402
from jiesu.enterprise.api import router as enterprise_router  # noqa: E402
from jiesu.hotspots.api import router as hotspots_router  # noqa: E402
from jiesu.knowledge.api import router as knowledge_router  # noqa: E402
from jiesu.kpi.api import router as kpi_router  # noqa: E402
from jiesu.notifications.api import router as notifications_router  # noqa: E402
from jiesu.notifications.api import todo_router  # noqa: E402
from jiesu.routing.api import router as routing_router  # noqa: E402
from jiesu.tickets.api import calls_router  # noqa: E402
from jiesu.tickets.api import router as tickets_router  # noqa: E402

api.add_router("/tickets", tickets_router)
api.add_router("/directory", directory_router)
api.add_router("/routing", routing_router)
api.add_router("/kpi", kpi_router)
api.add_router("/hotspots", hotspots_router)
api.add_router("/knowledge", knowledge_router)
api.add_router("/notifications", notifications_router)
api.add_router("/todo", todo_router)
api.add_router("/calls", calls_router)
api.add_router("/enterprises", enterprise_router)
api.add_router("/police110", police110_router)
