"""Delivery channels behind one interface: `send(message) -> receipt`, raising `TemporaryFailure` (try again
later) or `PermanentFailure` (never: a dead letter at once). Every message carries its idempotency key.

- e-mail: Django's e-mail backend (EMAIL_BACKEND, EMAIL_HOST…);
- SMS: an `SmsGateway` chosen by JIESU_SMS_BACKEND — `console` (log), `file` (JSON lines, the demo's), or `http`
  (a gateway reached by HTTP POST: JIESU_SMS_HTTP_URL, JIESU_SMS_HTTP_AUTH, JIESU_SMS_HTTP_BODY);
- webhook: a JSON POST to JIESU_NOTIFY_WEBHOOK_URL signed with HMAC-SHA256 (JIESU_NOTIFY_WEBHOOK_SECRET), for a
  city's own messaging bridge (政务微信, 钉钉…);
- peer: a message to another system's interface, sent by the client its app registers (`register_peer`): the 110
  police dispatch system (jiesu.channels.police). The outbox gives it the same lease, retries and dead letters.
"""

import hashlib
import hmac
import json
import logging
import string
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from email.utils import make_msgid
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.mail import EmailMessage

logger = logging.getLogger(__name__)


class TemporaryFailure(Exception):
    """The channel could not take the message now (network, 5xx, 429): try again with backoff."""


class PermanentFailure(Exception):
    """The channel refused the message (a bad number, 4xx): trying again would not help."""


@dataclass
class Message:
    key: str  # idempotency key
    to: str
    text: str
    subject: str = ""
    data: dict = field(default_factory=dict)  # structured facts for the webhook


def _post(url: str, body: bytes, headers: dict, timeout: float) -> str:
    """POST and return the answer's body; 2xx is success, 408/429/5xx and network errors are temporary."""
    request = urllib.request.Request(url, data=body, method="POST", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 (URL from settings)
            return response.read(2000).decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        detail = f"HTTP {exc.code}: {exc.read(300).decode('utf-8', 'replace')}"
        if exc.code in (408, 425, 429) or exc.code >= 500:
            raise TemporaryFailure(detail) from None
        raise PermanentFailure(detail) from None
    except (urllib.error.URLError, TimeoutError, ConnectionError, OSError) as exc:
        raise TemporaryFailure(f"{type(exc).__name__}: {exc}") from None


# ---------------------------------------------------------------- SMS


class SmsGateway:
    """Sends one SMS. Implementations honour `message.key` where the gateway can."""

    def send(self, message: Message) -> str:
        raise NotImplementedError


class ConsoleSmsGateway(SmsGateway):
    def send(self, message: Message) -> str:
        logger.warning("短信 → %s：%s", message.to, message.text)
        return "console"


class FileSmsGateway(SmsGateway):
    """Appends each SMS as a JSON line (JIESU_SMS_FILE): the demo's outbox, readable with `tail -f`. A key already
    in the file is not written again."""

    _lock = threading.Lock()

    def __init__(self, path: str | Path):
        self.path = Path(path)

    def send(self, message: Message) -> str:
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            if self.path.exists():
                with self.path.open(encoding="utf-8") as f:
                    if any(json.loads(line).get("key") == message.key for line in f if line.strip()):
                        return "duplicate"
            with self.path.open("a", encoding="utf-8") as f:
                f.write(json.dumps({"key": message.key, "to": message.to, "text": message.text,
                                    "at": time.time()}, ensure_ascii=False) + "\n")
        return "written"


class HttpSmsGateway(SmsGateway):
    """A gateway reached by HTTP POST. The body is a template in which $phone, $text and $key stand for JSON
    strings (default `{"phone": $phone, "text": $text, "id": $key}`); the key also goes as Idempotency-Key."""

    DEFAULT_BODY = '{"phone": $phone, "text": $text, "id": $key}'

    def __init__(self, url: str, auth: str = "", body: str = "", timeout: float = 10):
        if not url:
            raise ImproperlyConfigured("JIESU_SMS_BACKEND=http needs JIESU_SMS_HTTP_URL")
        self.url, self.auth, self.timeout = url, auth, timeout
        self.body = string.Template(body or self.DEFAULT_BODY)

    def send(self, message: Message) -> str:
        values = {name: json.dumps(value, ensure_ascii=False)
                  for name, value in (("phone", message.to), ("text", message.text), ("key", message.key))}
        body = self.body.safe_substitute(values).encode("utf-8")
        headers = {"Content-Type": "application/json; charset=utf-8", "Idempotency-Key": message.key}
        if self.auth:
            headers["Authorization"] = self.auth
        return _post(self.url, body, headers, self.timeout)[:200]


def sms_gateway() -> SmsGateway:
    backend = settings.JIESU_SMS_BACKEND
    if backend == "console":
        return ConsoleSmsGateway()
    if backend == "file":
        return FileSmsGateway(settings.JIESU_SMS_FILE)
    if backend == "http":
        return HttpSmsGateway(settings.JIESU_SMS_HTTP_URL, settings.JIESU_SMS_HTTP_AUTH, settings.JIESU_SMS_HTTP_BODY,
                              settings.JIESU_NOTIFY_TIMEOUT)
    raise ImproperlyConfigured(f"JIESU_SMS_BACKEND must be console, file or http, not {backend!r}")


# ---------------------------------------------------------------- webhook


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """`sha256=` + HMAC-SHA256 of "<timestamp>.<body>": the receiver recomputes it and rejects old timestamps."""
    digest = hmac.new(secret.encode("utf-8"), timestamp.encode("ascii") + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def send_webhook(message: Message) -> str:
    url, secret = settings.JIESU_NOTIFY_WEBHOOK_URL, settings.JIESU_NOTIFY_WEBHOOK_SECRET
    if not url or not secret:
        raise PermanentFailure("未配置政务消息推送地址或密钥（JIESU_NOTIFY_WEBHOOK_URL、JIESU_NOTIFY_WEBHOOK_SECRET）")
    body = json.dumps({"id": message.key, "to": message.to, "text": message.text, **message.data},
                      ensure_ascii=False).encode("utf-8")
    timestamp = str(int(time.time()))
    headers = {"Content-Type": "application/json; charset=utf-8", "Idempotency-Key": message.key,
               "X-Jiesu-Timestamp": timestamp, "X-Jiesu-Signature": signature(secret, timestamp, body)}
    return _post(url, body, headers, settings.JIESU_NOTIFY_TIMEOUT)[:200]


# ---------------------------------------------------------------- e-mail


def send_email(message: Message) -> str:
    domain = settings.DEFAULT_FROM_EMAIL.rpartition("@")[2] or "jiesu.local"
    email = EmailMessage(message.subject or message.text[:40], message.text, to=[message.to],
                         headers={"Message-ID": make_msgid(idstring=message.key, domain=domain),
                                  "X-Jiesu-Key": message.key})
    try:
        email.send(fail_silently=False)
    except (ConnectionError, TimeoutError, OSError) as exc:
        raise TemporaryFailure(f"{type(exc).__name__}: {exc}") from None
    return "sent"


# ---------------------------------------------------------------- peers

_peers: dict = {}


def register_peer(name: str, sender) -> None:
    """`sender(message) -> receipt` sends `message.data` to the peer `name` (raising Temporary/PermanentFailure)."""
    _peers[name] = sender


def send_peer(message: Message) -> str:
    sender = _peers.get(message.to)
    if sender is None:
        raise PermanentFailure(f"未知的对接系统：{message.to}")
    return sender(message)


def send(channel: str, message: Message) -> str:
    from .models import Channel

    if channel == Channel.PEER:
        return send_peer(message)
    if channel == Channel.SMS:
        return sms_gateway().send(message)
    if channel == Channel.EMAIL:
        return send_email(message)
    if channel == Channel.WEBHOOK:
        return send_webhook(message)
    raise PermanentFailure(f"未知的渠道：{channel}")
