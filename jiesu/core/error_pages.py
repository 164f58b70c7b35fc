"""The site's answers to 400/403/404/500, and to outages: 503/507 (handler400… in jiesu/urls.py).

Pages are Chinese, in the site's layout, and always offer a way on: the user's start page `/` (which sends each
role to its own page) and, for someone not signed in, the login page. A refusal never links to the refused page.
/api/ keeps its JSON `{code, message, fields}` and /open311/ its GeoReport error list, in JSON or XML, so a
client never has to parse a web page, whatever went wrong.
"""

import errno
import logging
import sys

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse
from django.template import loader

from .errors import ServiceError

logger = logging.getLogger(__name__)

# status → API code, API/Open311 message, page title
ANSWERS = {
    400: ("invalid", "请求无效，无法处理", "请求无效"),
    403: ("forbidden", "无权访问", "无权访问"),
    404: ("not_found", "请求的资源不存在", "页面不存在"),
    405: ("method_not_allowed", "不支持该请求方法", "请求方法不支持"),
    409: ("concurrent_update", "其他人正在同时处理相关工单，操作未生效，请刷新后重试", "操作冲突"),
    500: ("server_error", "服务器内部错误，请稍后重试", "系统出错"),
    503: ("service_unavailable", "系统繁忙，请稍后重试", "系统繁忙"),
    507: ("storage_unavailable", "文件存储暂时不可用，附件未能保存，请稍后重试", "存储不可用"),
}
# What an error page says when the refusal carries no message of its own, and a hint below it.
PAGE_TEXT = {
    400: ("您的请求格式有误，或含有系统无法处理的内容。请返回后检查再试；如果问题反复出现，请联系系统管理员。", ""),
    403: ("您的账号没有查看此页面的权限。", "如需开通，请联系系统管理员。"),
    404: ("您要找的页面不存在、已被移除，或者您无权查看。请检查网址是否正确。", ""),
    405: ("该页面不支持这种请求方式。请返回后重试。", ""),
    409: ("其他人正在同时处理相关工单，您的操作未生效。请返回刷新后重试。", ""),
}

# What a browser shows when even the 500 template cannot be rendered (the template engine itself broke).
LAST_RESORT = (
    '<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><title>系统出错 · 12345热线</title></head>'
    '<body><h1>系统出错</h1><p>系统处理您的请求时出错，请稍后重试。</p>'
    '<p><a href="/">返回首页</a> · <a href="/accounts/login/">登录</a></p></body></html>'
)


def _message(exception) -> str:
    """Only our own refusals carry a message written for people; Django's exceptions carry technical text."""
    return exception.message if isinstance(exception, ServiceError) else ""


def _machine_answer(request, status: int, exception=None) -> HttpResponse | None:
    """The error in the API's or Open311's own format, or None for a page."""
    path = request.path
    code, message, _ = ANSWERS[status]
    if path.startswith("/api/"):
        body = {"code": code, "message": message, "fields": {}}
        if isinstance(exception, ServiceError):
            body = exception.as_dict()
        return JsonResponse(body, status=status, json_dumps_params={"ensure_ascii": False})
    if path.startswith("/open311/"):
        from jiesu.open311.formats import error

        return error("xml" if path.endswith(".xml") else "json", status, _message(exception) or message)
    return None


def _page(request, status: int, exception) -> HttpResponse:
    text, hint = PAGE_TEXT[status]
    context = {"status": status, "title": ANSWERS[status][2], "message": _message(exception) or text, "hint": hint}
    try:
        # With the request: the header, the user's menu and the right way on.
        template = ("enterprise/direct/error.html" if request is not None and request.path.startswith("/qiye/")
                    else "error.html")  # an enterprise's pages keep their own layout
        body = loader.render_to_string(template, context, request)
    except Exception:  # noqa: BLE001 - e.g. the database is down and the menu cannot be built
        logger.exception("the %s page could not be rendered with its context", status)
        try:
            body = loader.render_to_string("error.html", context)
        except Exception:  # noqa: BLE001
            return server_error(request, status=status)
    return HttpResponse(body, status=status)


def error_response(request, status: int, exception=None) -> HttpResponse:
    """The answer for `status` in the format of the part of the site the request went to."""
    return _machine_answer(request, status, exception) or _page(request, status, exception)


def bad_request(request, exception=None):
    return error_response(request, 400, exception)


def permission_denied(request, exception=None):
    return error_response(request, 403, exception)


def page_not_found(request, exception=None):
    return error_response(request, 404, exception)


# Disk full, over quota, read-only: the attachment store cannot take the file (errno values).
_STORAGE_ERRORS = {errno.ENOSPC, errno.EDQUOT, errno.EROFS}


def outage_status(exc) -> int | None:
    """503 when the database cannot be reached or is starting up or shutting down (the request may be retried as
    it is), 507 when the file store is full or read-only; None for a fault of jiesu's own (500)."""
    if isinstance(exc, (OperationalError, InterfaceError)):
        return 503
    if isinstance(exc, OSError) and exc.errno in _STORAGE_ERRORS:
        return 507
    if type(exc).__module__.startswith(("botocore.", "boto3.")):  # the object store refused or could not be reached
        return 507
    return None


# The citizens' pages (jiesu.portal): their error pages speak to a citizen, not to staff.
PUBLIC_PREFIXES = ("/submit/", "/track/", "/letters/", "/status/", "/qiye/")


def server_error(request, status: int = 500):
    """Must answer whatever broke, the database and the context processors included: the page is rendered with no
    request and queries nothing, and if even that fails, a fixed page is sent. An outage (the database gone, the
    disk full) is not a fault: 503 with Retry-After, or 507, in the caller's format."""
    status = outage_status(sys.exc_info()[1]) or status
    try:
        answer = _machine_answer(request, status) if status in ANSWERS else None
        if answer is None:
            public = request is not None and request.path.startswith(PUBLIC_PREFIXES)
            body = loader.get_template("500.html").render({"status": status, "title": ANSWERS[status][2],
                                                         "message": ANSWERS[status][1], "public": public})
            answer = HttpResponse(body, status=status)
    except Exception:  # noqa: BLE001
        logger.exception("the %s page could not be rendered", status)
        answer = HttpResponse(LAST_RESORT, status=status)
    if status == 503:
        answer["Retry-After"] = str(settings.JIESU_RETRY_AFTER)
    return answer
