"""The REST resources on the built store: lists, filters, pages, detail shapes, search, linked data."""

from __future__ import annotations

import pyoxigraph as ox
import pytest
import rdflib
from fastapi.testclient import TestClient


def ids(response: object) -> list[str]:
    return [item["id"] for item in response.json()["items"]]  # type: ignore[attr-defined]


# Each filter with chips a public source puts there (they must be found) and, for the filters that
# are plain graph patterns, the pattern: the answer is then exactly the chips the store matches.
CHIP_FILTERS = [
    ({"designer": "biren"}, ["chip/biren-br100"], "?c cg:designedBy org:biren"),
    (
        {"foundry": "smic"},
        ["chip/huawei-ascend-910b", "chip/huawei-ascend-910b4", "chip/huawei-ascend-910c", "chip/huawei-ascend-920"],
        "?c cg:manufacturedBy org:smic",
    ),
    (
        {"country": "CN", "foundry": "tsmc"},
        ["chip/huawei-ascend-910c", "chip/biren-br100"],
        "?c cg:designedBy/cg:headquarteredIn ct:CN ; cg:manufacturedBy org:tsmc",
    ),
    (
        {"workload": "inference"},
        ["chip/alibaba-inference-chip-2025", "chip/alibaba-hanguang-800"],
        "?c cg:intendedWorkload cg:Inference",
    ),
    (
        {"process_node": "tsmc-7nm", "year_to": 2020},
        ["chip/nvidia-a100-pcie", "chip/nvidia-a100-sxm4-40-gb", "chip/nvidia-a100-sxm4-80gb"],
        None,
    ),
    (
        {"designer": "nvidia", "year_from": 2025},
        ["chip/nvidia-b300", "chip/nvidia-gb200", "chip/nvidia-gb300-blackwell-ultra"],
        None,
    ),
    ({"designer": "google", "min_tpp": 10000}, ["chip/google-tpu-v6e", "chip/google-tpu-v7-ironwood"], None),
]
PREFIXES = """PREFIX cg: <https://w3id.org/chipgraph/ontology#>
PREFIX org: <https://w3id.org/chipgraph/id/organization/>
PREFIX ct: <https://w3id.org/chipgraph/id/country/>
"""


@pytest.mark.parametrize(("params", "known", "pattern"), CHIP_FILTERS)
def test_chip_filters(client: TestClient, params: dict[str, object], known: list[str], pattern: str | None) -> None:
    response = client.get("/chips", params={**params, "limit": 500})
    assert response.status_code == 200
    found = ids(response)
    assert set(known) <= set(found)
    assert response.json()["total"] == len(found)
    if pattern is not None:
        rows = client.post(
            "/sparql",
            data={"query": f"{PREFIXES}SELECT DISTINCT ?c WHERE {{ ?c a cg:Chip . {pattern} }}"},
            headers={"Accept": "application/sparql-results+json"},
        ).json()["results"]["bindings"]
        chip = "https://w3id.org/chipgraph/id/"
        assert sorted(found) == sorted(row["c"]["value"].removeprefix(chip) for row in rows)


def test_chip_pages_are_stable_and_counted(client: TestClient) -> None:
    everything = client.get("/chips", params={"limit": 500}).json()
    assert everything["total"] == len(everything["items"]) >= 49
    labels = [item["label"].casefold() for item in everything["items"]]
    assert labels == sorted(labels)
    pages = [
        ids(client.get("/chips", params={"offset": offset, "limit": 10}))
        for offset in range(0, everything["total"], 10)
    ]
    assert [chip for page in pages for chip in page] == [item["id"] for item in everything["items"]]


def test_chip_detail_links_sources_and_export_control(client: TestClient) -> None:
    chip = client.get("/chips/nvidia-h20").json()
    assert chip["iri"] == "https://w3id.org/chipgraph/id/chip/nvidia-h20"
    designer = chip["facts"]["cg:designedBy"][0]
    assert designer["ref"] == {"id": "organization/nvidia", "label": "Nvidia", "href": "/companies/nvidia"}
    assert set(designer["graphs"]) <= {source["graph"] for source in chip["sources"]}
    assert any(source["url"] == "https://epoch.ai/data/machine-learning-hardware" for source in chip["sources"])
    assert [fact["value"] for fact in chip["facts"]["cg:denseFP16TFLOPS"]] == ["148"]
    (requirement,) = chip["export_control"]
    assert requirement["kind"] == "licence-requirement" and requirement["valid_from"] == "2025-04-09"
    assert client.get(designer["ref"]["href"]).status_code == 200


def test_entity_list_entries_reach_the_chips_of_listed_designers(client: TestClient) -> None:
    kinds = {fact["kind"] for fact in client.get("/chips/biren-br100").json()["export_control"]}
    assert kinds == {"entity-list-entry"}


def test_companies_foundries_countries(client: TestClient) -> None:
    foundries = ids(client.get("/foundries", params={"limit": 500}))
    assert {
        "organization/globalfoundries",
        "organization/hua-hong",
        "organization/intel",
        "organization/samsung",
        "organization/smic",
        "organization/tsmc",
    } <= set(foundries)
    typed = client.post(
        "/sparql",
        data={"query": "SELECT DISTINCT ?f WHERE { ?f a <https://w3id.org/chipgraph/ontology#Foundry> }"},
        headers={"Accept": "application/sparql-results+json"},
    ).json()["results"]["bindings"]
    assert sorted(foundries) == sorted(
        row["f"]["value"].removeprefix("https://w3id.org/chipgraph/id/") for row in typed
    )
    company = client.get("/companies/tsmc").json()
    assert company["facts"]["cg:headquarteredIn"][0]["ref"]["href"] == "/countries/TW"
    assert client.get("/countries/tw").json()["label"] == "Taiwan"
    assert client.get("/companies", params={"limit": 1}).json()["total"] >= 30


def test_regulations_in_force_on_a_date(client: TestClient) -> None:
    before = set(ids(client.get("/regulations", params={"in_force_on": "2025-03-01", "limit": 100})))
    after = set(ids(client.get("/regulations", params={"in_force_on": "2025-06-01", "limit": 100})))
    assert "act/us-2025-01-15-ai-diffusion" in before and "act/us-2025-01-15-ai-diffusion" not in after
    assert "act/us-2025-04-09-h20-class-licence-letter" in after - before
    assert "act/us-2022-10-07-advanced-computing" in before & after


def test_search_is_case_and_accent_insensitive_with_prefix_matches_first(client: TestClient) -> None:
    hits = client.get("/search", params={"q": "ÁSCEND 91"}).json()
    assert hits[0]["label"].startswith("Huawei Ascend 91") or hits[0]["match"] in ("prefix", "word")
    assert {hit["id"] for hit in hits} >= {"chip/huawei-ascend-910", "chip/huawei-ascend-910b"}
    tsmc = client.get("/search", params={"q": "taiwan semi"}).json()
    assert tsmc[0]["id"] == "organization/tsmc"
    ranks = [hit["match"] for hit in client.get("/search", params={"q": "h20"}).json()]
    assert ranks == sorted(ranks, key=["prefix", "word", "substring"].index)


def test_linked_data_content_negotiation(client: TestClient) -> None:
    as_json = client.get("/id/chip/nvidia-h20", headers={"Accept": "application/json"})
    assert as_json.json()["id"] == "chip/nvidia-h20"
    turtle = client.get("/id/chip/nvidia-h20", headers={"Accept": "text/turtle"})
    graph = rdflib.Graph().parse(data=turtle.text, format="turtle")
    chip = rdflib.URIRef("https://w3id.org/chipgraph/id/chip/nvidia-h20")
    cg = rdflib.Namespace("https://w3id.org/chipgraph/ontology#")
    assert (chip, cg.designedBy, rdflib.URIRef("https://w3id.org/chipgraph/id/organization/nvidia")) in graph
    jsonld = client.get("/id/chip/nvidia-h20", headers={"Accept": "application/ld+json"})
    assert jsonld.headers["content-type"].startswith("application/ld+json")
    quads = list(ox.parse(jsonld.content, format=ox.RdfFormat.JSON_LD))
    assert len(quads) == len(graph)
    assert client.get("/id/chip/nvidia-h20", headers={"Accept": "image/png"}).status_code == 406


def test_ontology_and_shapes_files(client: TestClient) -> None:
    ontology = rdflib.Graph().parse(data=client.get("/ontology").text, format="turtle")
    assert len(ontology) > 400
    shapes = rdflib.Graph().parse(data=client.get("/shapes").text, format="turtle")
    assert (None, rdflib.RDF.type, rdflib.SH.NodeShape) in shapes


def test_conditional_get(client: TestClient) -> None:
    first = client.get("/chips/nvidia-a100-sxm4-80gb")
    tag = first.headers["etag"]
    assert client.get("/chips/nvidia-a100-sxm4-80gb", headers={"If-None-Match": tag}).status_code == 304
    assert client.get("/chips/nvidia-h100-sxm5", headers={"If-None-Match": tag}).status_code == 200


def test_openapi_documents_the_shapes(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    assert {"Chip", "ChipPage", "Entity", "Fact", "ExportFact", "SearchHit"} <= set(schema["components"]["schemas"])


def test_responses_have_the_documented_shapes(client: TestClient) -> None:
    from api.models import Chip, ChipPage, Entity, Page, SearchHit

    Chip.model_validate(client.get("/chips/nvidia-h20").json())
    ChipPage.model_validate(client.get("/chips", params={"limit": 5}).json())
    Entity.model_validate(client.get("/companies/nvidia").json())
    Entity.model_validate(client.get("/regulations/us-2022-10-07-advanced-computing").json())
    Entity.model_validate(client.get("/entities/eccn/3A090-a").json())
    for path in ("/companies", "/foundries", "/regulations", "/countries"):
        Page.model_validate(client.get(path).json())
    hits = client.get("/search", params={"q": "nvidia"}).json()
    assert hits and all(SearchHit.model_validate(hit) for hit in hits)


def test_imported_supply_chain_entities_are_served(client: TestClient) -> None:
    body = client.get("/entities/supply-chain-input/euv-lithography-tools").json()
    assert body["label"] == "EUV lithography tools"
    assert [fact["value"] for fact in body["facts"]["cg:etoId"]] == ["N20"]
    assert all(source["title"] for source in body["sources"])
    provision = client.get("/id/provision/eto-p88-n20-2025", headers={"Accept": "text/turtle"})
    assert provision.status_code == 200 and "marketSharePercent" in provision.text


def test_the_default_build_lists_more_than_150_chips(client: TestClient) -> None:
    assert client.get("/chips", params={"limit": 1}).json()["total"] > 150
