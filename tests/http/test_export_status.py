"""GET /chips/{id}/export-status and the classification on /chips/{id}, on the real app."""

from __future__ import annotations

from fastapi.testclient import TestClient

from api.models import Chip, ExportStatusModel


def test_export_status_answers_with_verdict_findings_and_sources(client: TestClient) -> None:
    response = client.get("/chips/nvidia-h20/export-status", params={"destination": "CN", "date": "2025-05-01"})
    assert response.status_code == 200
    body = ExportStatusModel.model_validate(response.json())
    assert body.verdict == "licence-required"
    applying = [f for f in body.findings if f.outcome == "applies"]
    assert [f.subject["id"] for f in applying] == ["licence-requirement/us-2025-04-h20-class"]
    assert all(fact.source.id for finding in body.findings for fact in finding.facts)
    earlier = client.get("/chips/nvidia-h20/export-status", params={"destination": "CN", "date": "2024-05-01"})
    assert earlier.json()["verdict"] == "not-required"


def test_export_status_errors_have_the_one_shape(client: TestClient) -> None:
    cases = [
        ("/chips/no-such-chip/export-status", {"destination": "CN"}, 404),
        ("/chips/nvidia-h20/export-status", {"destination": "China"}, 400),
        ("/chips/nvidia-h20/export-status", {"destination": "ZZ"}, 404),
        ("/chips/nvidia-h20/export-status", {"destination": "CN", "date": "2025-13-01"}, 400),
        ("/chips/nvidia-h20/export-status", {}, 400),
        ("/chips/nvidia-h20/export-status", {"destination": "CN", "buyer": "no-such-firm"}, 404),
    ]
    for path, params, status in cases:
        response = client.get(path, params=params)
        assert response.status_code == status, (params, response.text)
        assert set(response.json()) == {"code", "message", "context"}


def test_chip_page_shows_metrics_and_todays_classification(client: TestClient) -> None:
    body = Chip.model_validate(client.get("/chips/nvidia-a100-sxm4-80gb").json())
    assert [fact.value for fact in body.facts["cg:computedTPP"]] == ["4992"]
    assert body.facts["cg:computedTPP"][0].graphs == ["https://w3id.org/chipgraph/graph/derived"]
    outcomes = {item.eccn.id: item.outcome for item in body.classification}
    assert outcomes["eccn/3A090-a"] == "applies"
    assert outcomes["eccn/3A090-b"] == "does-not-apply"
