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


def test_a_preflight_admits_the_graph_store_writes_with_the_token(settings: Settings) -> None:
    configured = settings.model_copy(update={"cors_origins": ["https://analyst.example"]})
    with TestClient(create_app(configured)) as client:
        for method in ("PUT", "DELETE", "POST"):
            preflight = client.options(
                "/rdf-graphs/some-graph",
                headers={
                    "Origin": "https://analyst.example",
                    "Access-Control-Request-Method": method,
                    "Access-Control-Request-Headers": "authorization, content-type",
                },
            )
            assert preflight.status_code == 200, (method, preflight.text)
            assert method in preflight.headers["access-control-allow-methods"]
        refused = client.options(
            "/rdf-graphs/some-graph",
            headers={"Origin": "https://analyst.example", "Access-Control-Request-Method": "PATCH"},
        )
    assert refused.status_code == 400  # a method we do not serve is not admitted
