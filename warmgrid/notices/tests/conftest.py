"""A stand-in for the outside world: an HTTP server on 127.0.0.1 that records what it is
sent and answers what the test tells it to; and a channel that records what it gets."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest


@dataclass
class Received:
    method: str
    path: str
    query: dict
    headers: dict
    body: dict


@dataclass
class FakeProvider:
    url: str = ""
    received: list[Received] = field(default_factory=list)
    # (status, JSON body, delay in seconds) answered in turn; then 200 {"errcode": 0}.
    answers: list[tuple] = field(default_factory=list)

    def answer(self, status: int = 200, body: dict | None = None, delay: float = 0) -> None:
        self.answers.append((status, {"errcode": 0, "errmsg": "ok"} if body is None else body,
                             delay))

    def paths(self) -> list[str]:
        return [r.path for r in self.received]


@pytest.fixture
def provider():
    fake = FakeProvider()

    class Handler(BaseHTTPRequestHandler):
        def _handle(self):
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            parts = urlsplit(self.path)
            fake.received.append(Received(
                method=self.command, path=parts.path, query=parse_qs(parts.query),
                headers={k.lower(): v for k, v in self.headers.items()},
                body=json.loads(raw) if raw else {}))
            status, body, delay = (fake.answers.pop(0) if fake.answers
                                   else (200, {"errcode": 0, "errmsg": "ok"}, 0))
            if delay:
                time.sleep(delay)  # the provider is slow, not the test
            payload = json.dumps(body).encode()
            self.send_response(status)
            if 300 <= status < 400:
                self.send_header("Location", "http://127.0.0.1:9/elsewhere")
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            try:
                self.wfile.write(payload)
            except BrokenPipeError:  # the client gave up waiting (a timeout test)
                pass

        do_GET = do_POST = _handle

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02},
                              daemon=True)
    thread.start()
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    yield fake
    server.shutdown()
    server.server_close()


class Recorder:
    """A channel that keeps what it is given: (recipient username, subject, body)."""

    name = "recorder"
    label = "Recorder"
    sent: list = []

    def send(self, notice):
        Recorder.sent.append((notice.recipient.username, notice.subject, notice.body))


class Broken:
    """A channel whose provider is down."""

    name = "broken"
    label = "Broken"
    fail = True

    def send(self, notice):
        if Broken.fail:
            raise OSError("provider down")
        Recorder.sent.append(("broken", notice.subject, notice.body))


RECORDER = "warmgrid.notices.tests.conftest.Recorder"
BROKEN = "warmgrid.notices.tests.conftest.Broken"


@pytest.fixture
def recorder(settings):
    settings.WARMGRID_NOTICE_CHANNELS = [RECORDER]
    Recorder.sent = []
    Broken.fail = True
    return Recorder
