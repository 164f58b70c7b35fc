"""A small simulated 110 police dispatch system on 127.0.0.1, for the real client code to talk to, both ways.

- It **receives** our messages (转110, 签收, 进展, 回传, 退回) as 110's interface would: it checks the signature,
  keeps each Idempotency-Key once (a repeat is answered as before and not taken again), answers a 转110 with its
  接警编号 (`receipt`), and can fail the next requests with 503 (`fail_next`) or be down altogether (`down()`).
- It **sends** as 110's system does (`transfer`, `message`): signed requests with its token to a jiesu server
  (a live server's URL), with an optional Idempotency-Key.
"""

import hashlib
import hmac
import json
import threading
import time
import urllib.error
import urllib.request
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def sign(secret: str, stamp: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), stamp.encode() + b"." + body, hashlib.sha256).hexdigest()


class Fake110:
    def __init__(self, *, secret: str):
        self.secret = secret
        self.received: list[dict] = []  # one per Idempotency-Key: what 110's dispatchers would see
        self.requests: list[dict] = []  # every request, repeats included
        self.fail_next = 0
        self.bad_signatures = 0
        self.lock = threading.Lock()
        self._answers: dict[str, dict] = {}
        self._receipts = 0
        peer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                peer._handle(self, body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/jiesu"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.down()

    def down(self) -> None:
        """Stop answering: the port is closed (connection refused)."""
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def _answer(self, handler, status: int, payload: dict) -> None:
        data = json.dumps(payload, ensure_ascii=False).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json; charset=utf-8")
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)

    def _handle(self, handler, body: bytes) -> None:
        stamp = handler.headers.get("X-Jiesu-Timestamp", "")
        given = handler.headers.get("X-Jiesu-Signature", "")
        key = handler.headers.get("Idempotency-Key", "")
        with self.lock:
            self.requests.append({"key": key, "body": json.loads(body)})
            if self.fail_next > 0:
                self.fail_next -= 1
                return self._answer(handler, 503, {"error": "busy"})
            if not hmac.compare_digest(sign(self.secret, stamp, body), given) or abs(time.time() - int(stamp)) > 300:
                self.bad_signatures += 1
                return self._answer(handler, 401, {"error": "bad signature"})
            if key in self._answers:
                return self._answer(handler, 200, self._answers[key])
            message = json.loads(body)
            answer = {"ok": True}
            if message.get("type") == "transfer":
                self._receipts += 1
                answer["receipt"] = f"JJ{self._receipts:06d}"
            self._answers[key] = answer
            self.received.append(message)
        self._answer(handler, 200, answer)

    def of_type(self, kind: str) -> list[dict]:
        return [m for m in self.received if m["type"] == kind]

    # ---------------------------------------------------------------- 110 → jiesu

    def post(self, base_url: str, token: str, path: str, payload: dict, *, key: str | None = None,
             secret: str | None = None, stamp: str | None = None) -> tuple[int, dict]:
        body = json.dumps(payload, ensure_ascii=False).encode()
        stamp = stamp or str(int(time.time()))
        headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token}",
                   "X-Jiesu-Timestamp": stamp, "X-Jiesu-Signature": sign(secret or self.secret, stamp, body)}
        if key:
            headers["Idempotency-Key"] = key
        request = urllib.request.Request(f"{base_url.rstrip('/')}/api/v1/police110/{path}", data=body,
                                         headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read() or b"{}")

    def transfer(self, base_url, token, **fields):
        """A 非警务 call handed to 12345."""
        payload = {"event_number": f"110{uuid.uuid4().int % 10**12:012d}", "content": "楼上装修噪音持续到深夜",
                   "caller_phone": "13800001111", "caller_name": "赵先生", "address": "幸福路8号", "category": "噪音扰民",
                   "urgency": "urgent", **fields}
        key = payload.pop("key", None)
        return self.post(base_url, token, "transfers", payload, key=key)

    def message(self, base_url, token, ticket: str, kind: str, **fields):
        """签收 (ack), 处警结果 (result) or 退回 (return) of a 警情 12345 handed to 110."""
        payload = {"id": fields.pop("id", uuid.uuid4().hex), "type": kind, "ticket": ticket, **fields}
        return self.post(base_url, token, "messages", payload)
