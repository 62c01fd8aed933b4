"""ASGI middleware: a cap on request bodies, and one structured log line per request."""

from __future__ import annotations

import logging
import time
from typing import Any

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import error_response

log = logging.getLogger("chipgraph.requests")


class BodyLimit:
    """Refuse a request whose body exceeds ``limit`` bytes with 413, before the handler reads it all."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on, counting its body; answer 413 once it is too large."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)  # no body to count
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            await self._refuse(scope, receive, send)
            return
        seen = 0

        async def counting() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.limit:
                raise _TooLargeError
            return message

        try:
            await self.app(scope, counting, send)
        except _TooLargeError:
            await self._refuse(scope, receive, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = error_response(
            "payload-too-large", f"request bodies are limited to {self.limit} bytes", {"limit": self.limit}
        )
        await response(scope, receive, send)


class _TooLargeError(Exception):
    pass


class RequestLog:
    """Log each request in one JSON line: method, path, status, bytes, milliseconds, client."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on and log it when it ends."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        record: dict[str, Any] = {"method": scope["method"], "path": scope["path"], "status": 500, "bytes": 0}

        async def watching(message: Message) -> None:
            if message["type"] == "http.response.start":
                record["status"] = message["status"]
            elif message["type"] == "http.response.body":
                record["bytes"] += len(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, receive, watching)
        finally:
            record["ms"] = round((time.perf_counter() - start) * 1000, 2)
            client = scope.get("client")
            record["client"] = client[0] if client else None
            log.info(orjson.dumps(record).decode())
