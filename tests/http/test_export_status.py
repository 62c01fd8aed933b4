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


def test_chip_page_shows_metrics_and_the_classification_on_a_date(client: TestClient) -> None:
    """The classification is of a date (default today): the test sets it, so it holds whatever today is."""
    url = "/chips/nvidia-a100-sxm4-80gb"
    response = client.get(url, params={"date": "2025-06-01"})
    body = Chip.model_validate(response.json())
    assert [fact.value for fact in body.facts["cg:computedTPP"]] == ["4992"]
    assert body.facts["cg:computedTPP"][0].graphs == ["https://w3id.org/chipgraph/graph/derived"]
    outcomes = {item.eccn.id: item.outcome for item in body.classification}
    assert outcomes["eccn/3A090-a"] == "applies"
    assert outcomes["eccn/3A090-b"] == "does-not-apply"
    earlier = client.get(url, params={"date": "2023-06-01"})  # the October 2022 rule: 3A090 had no .a and .b
    assert {item["eccn"]["id"]: item["outcome"] for item in earlier.json()["classification"]} == {
        "eccn/3A090": "applies"
    }
    assert earlier.headers["etag"] != response.headers["etag"]
    same = client.get(url, params={"date": "2025-06-01"}, headers={"If-None-Match": response.headers["etag"]})
    assert same.status_code == 304
    assert client.get(url, params={"date": "2025-02-30"}).status_code == 400


def test_a_route_dated_today_by_default_answers_as_for_todays_date(client: TestClient) -> None:
    """Without date= the answer is today's: the same as with today's date set, and another day's differs."""
    from datetime import date

    today = date.today().isoformat()
    for url, params in [("/chips/nvidia-h20/export-status", {"destination": "CN"}), ("/charts", {})]:
        implicit = client.get(url, params=params)
        assert implicit.status_code == 200
        assert implicit.json() == client.get(url, params={**params, "date": today}).json()
        assert (
            implicit.json()["date"] == today != client.get(url, params={**params, "date": "2024-01-02"}).json()["date"]
        )
        again = client.get(url, params=params, headers={"If-None-Match": implicit.headers["etag"]})
        assert again.status_code == 304
