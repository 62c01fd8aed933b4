"""One id form everywhere (kg/ids.py): slug, kind/slug, IRI and label; unknown ids get suggestions."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

IRI = "https://w3id.org/chipgraph/id/chip/nvidia-h20"
FORMS = ["nvidia-h20", "chip/nvidia-h20", IRI, "NVIDIA HGX H20", "nvidia hgx h20"]


@pytest.mark.parametrize("form", FORMS)
def test_every_form_of_a_chip_id_is_the_same_chip(client: TestClient, form: str) -> None:
    response = client.get(f"/chips/{form}")
    assert response.status_code == 200, response.text
    assert response.json()["id"] == "chip/nvidia-h20"
    assert response.json() == client.get("/chips/nvidia-h20").json()


@pytest.mark.parametrize("form", FORMS)
def test_every_form_works_for_export_status(client: TestClient, form: str) -> None:
    params = {"destination": "CN", "date": "2025-06-01"}
    response = client.get(f"/chips/{form}/export-status", params=params)
    assert response.status_code == 200, response.text
    assert response.json() == client.get("/chips/nvidia-h20/export-status", params=params).json()


@pytest.mark.parametrize("form", ["nvidia", "organization/nvidia", "https://w3id.org/chipgraph/id/organization/nvidia"])
def test_every_form_of_a_company_id(client: TestClient, form: str) -> None:
    assert client.get(f"/companies/{form}").json()["id"] == "organization/nvidia"
    assert client.get("/id/organization/Nvidia").json()["id"] == "organization/nvidia"


@pytest.mark.parametrize("designer", ["nvidia", "organization/nvidia", "NVIDIA"])
def test_the_chip_filters_take_every_form(client: TestClient, designer: str) -> None:
    expected = client.get("/chips", params={"designer": "nvidia", "process_node": "tsmc-7nm"}).json()
    params = {"designer": designer, "process_node": "process-node/tsmc-7nm"}
    assert client.get("/chips", params=params).json() == expected


@pytest.mark.parametrize(
    "path", ["/chips/nvidia-h100", "/chips/nvidia-h100/export-status?destination=CN", "/id/chip/nvidia-h100"]
)
def test_an_unknown_id_is_a_404_with_suggestions(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 404, response.text
    body = response.json()
    assert body["code"] == "entity-not-found"
    assert "nvidia-h100-sxm5" in body["context"]["suggestions"]
    assert len(body["context"]["suggestions"]) <= 5
    assert "did you mean" in body["message"] and "nvidia-h100-sxm5" in body["message"]


def test_an_unknown_company_is_a_404_and_an_unknown_filter_a_400_with_suggestions(client: TestClient) -> None:
    response = client.get("/companies/nvidi")
    assert response.status_code == 404
    assert "nvidia" in response.json()["context"]["suggestions"]
    response = client.get("/chips", params={"designer": "nvidi"})
    assert response.status_code == 400  # a filter value is not the resource: never a 404
    assert response.json()["code"] == "invalid-parameter"
    assert "nvidia" in response.json()["context"]["suggestions"]


@pytest.mark.parametrize(
    "path",
    [
        "/chips/organization/nvidia",  # a wrong kind
        "/chips/https://w3id.org/chipgraph/id/organization/nvidia",
        "/companies/chip/nvidia-h20",
        "/chips?designer=chip/nvidia-h20",
        "/chips/not a known label",  # neither a slug nor a label
        "/chips/" + "x" * 400,  # too long
        "/id/nokind/nvidia-h20",
    ],
)
def test_a_malformed_or_wrongly_kinded_id_is_a_400(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 400, response.text
    assert response.json()["code"] == "invalid-parameter"
    assert set(response.json()) == {"code", "message", "context"}


def test_input_never_enters_a_query(client: TestClient) -> None:
    for hostile in ["nvidia-h20> } ; DROP ALL ; #", 'x" || true || "']:
        assert client.get("/chips", params={"designer": hostile}).status_code == 400
