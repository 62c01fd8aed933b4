"""A loopback HTTP proxy in front of the test Virtuoso that fails chosen requests, as a network or server would.

Every request is forwarded as it came (method, path, headers, body: digest authentication passes
through), and the answer is sent back, except for the first request whose body matches ``fail_on``:

- ``"before"``: it is not forwarded; the client gets a 502 (the server never saw it);
- ``"after"``: it is forwarded and applied, then the connection is closed without an answer (the
  server did it; the client cannot know).
"""

from __future__ import annotations

import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Literal
from urllib.parse import unquote_plus

When = Literal["before", "after"]
HOP_HEADERS = {"connection", "keep-alive", "transfer-encoding", "content-length", "host"}


class FailingProxy:
    """The proxy's settings and what it did (``failed``: whether the chosen request has been failed)."""

    def __init__(self, target: str) -> None:
        self.target = target.rstrip("/")
        self.fail_on: str | None = None
        self.when: When = "before"
        self.failed = False
        self._lock = threading.Lock()

    def arm(self, fail_on: str, when: When) -> None:
        """Fail the next request whose decoded body contains ``fail_on``, ``when`` as the module says."""
        with self._lock:
            self.fail_on, self.when, self.failed = fail_on, when, False

    def chosen(self, body: bytes) -> When | None:
        """Whether this request is the one to fail (then it is the last), and how."""
        with self._lock:
            if self.fail_on is None or self.fail_on not in unquote_plus(body.decode("utf-8", "replace")):
                return None
            self.fail_on, self.failed = None, True
            return self.when


def _handler(proxy: FailingProxy) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            failure = proxy.chosen(body)
            if failure == "before":
                self.send_error(502, "the proxy failed this request before the server saw it")
                return
            headers = {key: value for key, value in self.headers.items() if key.lower() not in HOP_HEADERS}
            request = urllib.request.Request(proxy.target + self.path, data=body, headers=headers, method="POST")
            try:
                with urllib.request.urlopen(request, timeout=120) as response:
                    status, answer, sent = response.status, response.read(), response.headers
            except urllib.error.HTTPError as error:
                status, answer, sent = error.code, error.read(), error.headers
            if failure == "after":
                self.close_connection = True
                self.connection.close()
                return
            self.send_response(status)
            for key, value in sent.items():
                if key.lower() not in HOP_HEADERS:
                    self.send_header(key, value)
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *_: object) -> None:
            pass

    return Handler


@contextmanager
def failing_proxy(target: str) -> Iterator[tuple[FailingProxy, str]]:
    """A proxy to ``target`` (scheme://host:port) on a free loopback port: the proxy and its base URL."""
    proxy = FailingProxy(target)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(proxy))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield proxy, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
