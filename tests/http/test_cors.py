"""CORS headers only for the configured origins."""

from __future__ import annotations

from fastapi.testclient import TestClient

from api import create_app
from kg.settings import Settings


def test_cors_only_for_configured_origins(settings: Settings) -> None:
    configured = settings.model_copy(update={"cors_origins": ["https://analyst.example"]})
    with TestClient(create_app(configured)) as client:
        allowed = client.get("/healthz", headers={"Origin": "https://analyst.example"})
        other = client.get("/healthz", headers={"Origin": "https://evil.example"})
    assert allowed.headers["access-control-allow-origin"] == "https://analyst.example"
    assert "access-control-allow-origin" not in other.headers
    with TestClient(create_app(settings)) as client:
        default = client.get("/healthz", headers={"Origin": "https://analyst.example"})
    assert "access-control-allow-origin" not in default.headers
