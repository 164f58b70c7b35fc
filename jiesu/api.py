"""The REST API under /api/v1/: one NinjaAPI, token or session auth, errors as {code, message, fields}."""

from django.http import Http404
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.security import HttpBearer, django_auth

from jiesu.core.errors import ServiceError
from jiesu.core.tokens import user_for_key


class TokenAuth(HttpBearer):
    """`Authorization: Bearer <key>`; keys are made with `jiesu create-token USER`."""

    def authenticate(self, request, token):
        user = user_for_key(token)
        if user is not None:
            request.user = user
        return user


api = NinjaAPI(
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
        fields[name] = "缺少该字段" if error.get("type") == "missing" else "格式不正确"
    return _error(request, 400, "invalid", "提交的内容格式有误，请检查后重试", fields)


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


from jiesu.directory.api import router as directory_router  # noqa: E402
from jiesu.hotspots.api import router as hotspots_router  # noqa: E402
from jiesu.knowledge.api import router as knowledge_router  # noqa: E402
from jiesu.kpi.api import router as kpi_router  # noqa: E402
from jiesu.routing.api import router as routing_router  # noqa: E402
from jiesu.tickets.api import router as tickets_router  # noqa: E402

api.add_router("/tickets", tickets_router)
api.add_router("/directory", directory_router)
api.add_router("/routing", routing_router)
api.add_router("/kpi", kpi_router)
api.add_router("/hotspots", hotspots_router)
api.add_router("/knowledge", knowledge_router)
