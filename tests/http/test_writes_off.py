"""Without a write token configured, writes are off."""

from __future__ import annotations

from fastapi.testclient import TestClient

from api import create_app
from kg.settings import Settings


def test_writes_are_off_without_a_token(settings: Settings) -> None:
    with TestClient(create_app(settings.model_copy(update={"write_token": None}))) as client:
        response = client.post("/changes", json={}, headers={"Authorization": "Bearer anything"})
        backup = client.post("/admin/backup", json={}, headers={"Authorization": "Bearer anything"})
        update = client.post(
            "/sparql",
            content="INSERT DATA { GRAPH <https://w3id.org/chipgraph/graph/meta> { <urn:a> <urn:b> <urn:c> } }",
            headers={"Authorization": "Bearer anything", "Content-Type": "application/sparql-update"},
        )
    assert response.status_code == 403 and response.json()["code"] == "writes-disabled"
    assert backup.status_code == 403 and backup.json()["code"] == "writes-disabled"
    assert update.status_code == 403 and update.json()["code"] == "writes-disabled"
