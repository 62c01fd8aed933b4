"""What handlers get from the app: the graph service, and the writer check."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.errors import ApiError
from api.service import GraphService


async def service(request: Request) -> GraphService:
    """The app's graph service (async: FastAPI would run a plain function in a thread)."""
    graph: GraphService = request.app.state.graph
    return graph


# Documents the bearer scheme on every route that depends on require_writer (OpenAPI security);
# it refuses nothing itself (auto_error=False): require_writer checks the header.
BEARER = HTTPBearer(scheme_name="bearer", description="The server's CHIPGRAPH_WRITE_TOKEN", auto_error=False)


async def require_writer(
    request: Request, _documented: Annotated[HTTPAuthorizationCredentials | None, Depends(BEARER)]
) -> None:
    """The writer check as a route dependency (it documents the bearer scheme): see check_writer."""
    check_writer(request)


def check_writer(request: Request) -> None:
    """Raise ApiError unless writes are on and the request carries the bearer token (constant-time check)."""
    token = request.app.state.settings.write_token
    if token is None:
        raise ApiError("writes-disabled", "writes are off: the server has no write token (CHIPGRAPH_WRITE_TOKEN)")
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.encode(), token.get_secret_value().encode()):
        raise ApiError("unauthorized", "writes need the header Authorization: Bearer <token>")


Graph = Annotated[GraphService, Depends(service)]
