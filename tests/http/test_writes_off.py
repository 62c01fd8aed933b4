"""Without a write token configured, writes are off."""

from __future__ import annotations

from fastapi.testclient import TestClient

from api import create_app
from kg.settings import Settings


def test_writes_are_off_without_a_token(settings: Settings) -> None:
    with TestClient(create_app(settings.model_copy(update={"write_token": None}))) as client:
        response = client.post("/changes", json={}, headers={"Authorization": "Bearer anything"})
        backup = client.post("/admin/backup", json={}, headers={"Authorization": "Bearer anything"})
    assert response.status_code == 403 and response.json()["code"] == "writes-disabled"
    assert backup.status_code == 403 and backup.json()["code"] == "writes-disabled"
