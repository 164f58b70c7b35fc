"""A small fake of an SMS gateway and of a city's messaging bridge, on 127.0.0.1, for the real client code to talk
to: it honours Idempotency-Key (a repeated key is answered as before and not delivered again), can fail the next
requests with 503 or refuse them with 400, can be slow, and checks webhook signatures."""

import hashlib
import hmac
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class FakeGateway:
    def __init__(self, *, secret: str = "", delay: float = 0.0):
        self.secret, self.delay = secret, delay
        self.delivered: list[dict] = []  # one per key: what a phone would receive
        self.requests: list[dict] = []  # every request, repeats included
        self.fail_next = 0  # answer 503 to this many requests
        self.refuse = False  # answer 400 to every request
        self.lock = threading.Lock()
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                gateway._handle(self, body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/send"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    def _answer(self, handler, status: int, payload: dict) -> None:
        data = json.dumps(payload).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)

    def _handle(self, handler, body: bytes) -> None:
        if self.delay:
            time.sleep(self.delay)
        key = handler.headers.get("Idempotency-Key", "")
        record = {"key": key, "body": json.loads(body), "headers": dict(handler.headers)}
        with self.lock:
            self.requests.append(record)
            if self.fail_next > 0:
                self.fail_next -= 1
                return self._answer(handler, 503, {"error": "busy"})
            if self.refuse:
                return self._answer(handler, 400, {"error": "invalid number"})
            if self.secret:
                stamp = handler.headers.get("X-Jiesu-Timestamp", "")
                expected = "sha256=" + hmac.new(self.secret.encode(), stamp.encode() + b"." + body,
                                                hashlib.sha256).hexdigest()
                if not hmac.compare_digest(expected, handler.headers.get("X-Jiesu-Signature", "")):
                    return self._answer(handler, 401, {"error": "bad signature"})
            if key and any(d["key"] == key for d in self.delivered):
                return self._answer(handler, 200, {"id": key, "duplicate": True})
            self.delivered.append(record)
        return self._answer(handler, 200, {"id": key or str(len(self.delivered))})
