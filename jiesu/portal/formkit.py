"""What every public form shares (the citizen portal's and the enterprise's): the small sum asked before an SMS
code is sent, and the one key per filled-in form that makes a double submission file once."""

import re
import secrets

_SESSION_KEY = "portal_check"


def human_check(request) -> str:
    """A new small sum for the form (scripts that only POST do not know it); its answer waits in the session."""
    a, b = secrets.randbelow(9) + 1, secrets.randbelow(9) + 1
    request.session[_SESSION_KEY] = str(a + b)
    return f"{a} + {b} = ?"


def human_check_passed(request) -> bool:
    """Whether the posted `check` answers the sum shown; each sum answers once."""
    expected = request.session.pop(_SESSION_KEY, None)
    return expected is not None and request.POST.get("check", "").strip() == expected


HUMAN_CHECK_FAILED = {"check": "请正确填写算式的结果后再获取验证码"}


def submission_key(request) -> str | None:
    """The form's key as posted, if it is one (32 hex digits)."""
    key = request.POST.get("submission_key", "").strip() if request.method == "POST" else ""
    return key if re.fullmatch(r"[0-9a-f]{32}", key) else None
