"""The analyst's routes on the real app and a real built store: /coverage, /entity-list,
/export-status, /companies filters and details, citations in /search. Expected answers are
computed from the store, not written down.
"""

from __future__ import annotations

from datetime import date

import pytest
from fastapi.testclient import TestClient

from api.companies import Company
from api.coverage import Coverage
from api.entity_list import EntityListPage
from api.export_status_all import ExportStatusPage
from kg.catalog import entity_id
from kg.settings import Settings
from kg.store import OxigraphStore, term_text

PREFIX = (
    "PREFIX cg: <https://w3id.org/chipgraph/ontology#> PREFIX ct: <https://w3id.org/chipgraph/id/country/> "
    "PREFIX o: <https://w3id.org/chipgraph/id/organization/> PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> "
)


@pytest.fixture(scope="module")
def graph(settings: Settings, client: TestClient) -> OxigraphStore:
    """The app's store, for the expected answers (the store the client's server holds)."""
    store: OxigraphStore = client.app.state.graph.store  # type: ignore[attr-defined]
    return store


def ids(store: OxigraphStore, where: str) -> set[str]:
    rows = store.select(f"{PREFIX} SELECT DISTINCT ?e WHERE {{ {where} }}")
    return {entity_id(term_text(row["e"])) for row in rows}


def test_coverage_counts_the_store(client: TestClient, graph: OxigraphStore) -> None:
    body = Coverage.model_validate(client.get("/coverage").json())
    chips = next(section for section in body.sections if section.id == "chips")
    assert chips.total == len(ids(graph, "?e a cg:Chip"))
    die_area = next(key for key in chips.keys if key.key == "die area")
    assert set(die_area.missing) == ids(graph, "?e a cg:Chip FILTER NOT EXISTS { ?e cg:dieAreaMm2 ?a }")
    only = client.get("/coverage", params={"section": "designers"}).json()
    assert [section["id"] for section in only["sections"]] == ["designers"]


def test_entity_list_filters(client: TestClient, graph: OxigraphStore) -> None:
    everything = EntityListPage.model_validate(client.get("/entity-list").json())
    assert {item.id for item in everything.items} == ids(graph, "?e a cg:EntityListEntry")
    assert all(fact.source.id for item in everything.items for fact in item.facts)
    chinese = client.get("/entity-list", params={"country": "CN"}).json()["items"]
    expected = ids(graph, "?e a cg:EntityListEntry ; cg:listedEntity/cg:headquarteredIn ct:CN")
    assert {item["id"] for item in chinese} == expected
    smic = client.get("/entity-list", params={"organisation": "smic"}).json()["items"]
    assert {item["id"] for item in smic} == ids(graph, "?e cg:listedEntity o:smic")
    (entry,) = [item for item in everything.items if item.id == smic[0]["id"]]
    assert entry.act.citation and entry.valid_from and entry.review_policy
    rule = entry.act.id.removeprefix("act/") if entry.act.id else ""
    by_rule = client.get("/entity-list", params={"rule": rule}).json()["items"]
    assert {item["id"] for item in by_rule} == ids(
        graph, f"?e cg:addedBy <https://w3id.org/chipgraph/id/{entry.act.id}>"
    )


def test_entity_list_in_force_on_a_date(client: TestClient) -> None:
    items = EntityListPage.model_validate(client.get("/entity-list").json()).items
    first = min(date.fromisoformat(item.valid_from) for item in items if item.valid_from)
    before = client.get("/entity-list", params={"date": "2000-01-01"}).json()
    assert before["total"] == 0 < first.year
    on = client.get("/entity-list", params={"date": first.isoformat()}).json()["items"]
    assert {item["id"] for item in on} == {item.id for item in items if item.valid_from == first.isoformat()}


def test_export_status_rows_agree_with_the_one_chip_route(client: TestClient) -> None:
    params = {"destination": "CN", "date": "2025-05-01", "designer": "nvidia", "limit": 5, "offset": 2}
    body = ExportStatusPage.model_validate(client.get("/export-status", params=params).json())
    chips = client.get("/chips", params={"designer": "nvidia", "limit": 5, "offset": 2}).json()
    assert body.total == chips["total"]
    assert [row.chip.id for row in body.items] == [item["id"] for item in chips["items"]]
    for row in body.items:
        one = client.get(f"{row.chip.href}/export-status", params={"destination": "CN", "date": "2025-05-01"}).json()
        assert row.verdict == one["verdict"] and row.missing == one["missing"]
        deciding = {"licence-required": "applies", "undetermined": "undetermined"}.get(row.verdict)
        expected = [
            f["subject"]["id"] for f in one["findings"] if f["kind"] != "classification" and f["outcome"] == deciding
        ]
        assert [reason.subject["id"] for reason in row.reasons] == expected


def test_export_status_sees_a_listed_buyer(client: TestClient) -> None:
    params = {"destination": "CN", "date": "2025-05-01", "designer": "nvidia", "limit": 500}
    rows = client.get("/export-status", params={**params, "buyer": "smic"}).json()["items"]
    unlisted = {row["chip"]["id"]: row for row in client.get("/export-status", params=params).json()["items"]}
    for row in rows:  # a chip not yet public on the date is not yet an export (same answer either way)
        if unlisted[row["chip"]["id"]]["verdict"] == "not-yet-public":
            assert row["verdict"] == "not-yet-public"
        else:
            assert row["verdict"] == "licence-required"
            assert "buyer-entity-list" in [reason["kind"] for reason in row["reasons"]]


def test_companies_filter_by_role_and_country(client: TestClient, graph: OxigraphStore) -> None:
    body = client.get("/companies", params={"role": "foundry", "country": "CN", "limit": 500}).json()
    assert {item["id"] for item in body["items"]} == ids(graph, "?e a cg:Foundry ; cg:headquarteredIn ct:CN")
    designers = client.get("/companies", params={"role": "designer", "limit": 500}).json()
    assert designers["total"] == len(ids(graph, "?e a cg:ChipDesigner ; rdfs:label ?l"))


def test_company_details(client: TestClient, graph: OxigraphStore) -> None:
    huawei = Company.model_validate(client.get("/companies/huawei").json())
    assert {chip.id for chip in huawei.chips} == ids(graph, "?e cg:designedBy o:huawei")
    made = {foundry.id: set(foundry.chips) for foundry in huawei.foundries}
    assert set(made) == ids(graph, "?c cg:designedBy o:huawei ; cg:manufacturedBy ?e")
    assert {entry.id for entry in huawei.entity_list} == ids(graph, "?e cg:listedEntity o:huawei")
    assert {ref.id for ref in huawei.subsidiaries} == ids(graph, "?e cg:subsidiaryOf o:huawei")
    hisilicon = Company.model_validate(client.get("/companies/hisilicon").json())
    assert "organization/huawei" in {ref.id for ref in hisilicon.parents}
    provided = ids(graph, "?p a cg:Provision ; cg:provider o:asml ; cg:marketSharePercent ?s BIND(?p AS ?e)")
    asml = Company.model_validate(client.get("/companies/asml").json())
    assert {share.provision for share in asml.market_shares if share.share_percent is not None} == provided
    assert all(share.source for share in asml.market_shares)


def test_search_finds_citations_and_document_numbers(client: TestClient, graph: OxigraphStore) -> None:
    rows = graph.select(f"{PREFIX} SELECT ?e ?c WHERE {{ ?e a cg:LegalAct ; cg:citation ?c }}")
    for row in rows[:5]:
        citation, act = term_text(row["c"]), entity_id(term_text(row["e"]))
        hits = client.get("/search", params={"q": citation}).json()
        assert act in [hit["id"] for hit in hits], citation
    numbered = [row for row in rows if term_text(row["c"]).startswith("FR Doc. ")]
    assert numbered
    number = term_text(numbered[0]["c"]).removeprefix("FR Doc. ")
    assert entity_id(term_text(numbered[0]["e"])) in [
        hit["id"] for hit in client.get("/search", params={"q": number}).json()
    ]


@pytest.mark.parametrize(
    ("path", "params", "status"),
    [
        ("/coverage", {"section": "nope"}, 400),
        ("/coverage", {"section": "x" * 65}, 400),
        ("/entity-list", {"country": "China"}, 400),
        ("/entity-list", {"country": "cn"}, 400),
        ("/entity-list", {"organisation": "../etc"}, 400),
        ("/entity-list", {"date": "2025-13-01"}, 400),
        ("/entity-list", {"limit": 501}, 400),
        ("/export-status", {}, 400),
        ("/export-status", {"destination": "ZZ"}, 404),
        ("/export-status", {"destination": "CN", "buyer": "no-such-firm"}, 404),
        ("/export-status", {"destination": "CN", "buyer": "bad id!"}, 400),
        ("/export-status", {"destination": "CN", "workload": "mining"}, 400),
        ("/export-status", {"destination": "CN", "min_tpp": "inf"}, 400),
        ("/export-status", {"destination": "CN", "offset": -1}, 400),
        ("/companies", {"role": "bakery"}, 400),
        ("/companies", {"country": "XXX"}, 400),
        ("/companies/no-such-firm", {}, 404),
    ],
)
def test_bad_input_has_the_one_error_shape(
    client: TestClient, path: str, params: dict[str, object], status: int
) -> None:
    response = client.get(path, params=params)
    assert response.status_code == status, response.text
    assert set(response.json()) == {"code", "message", "context"}


@pytest.mark.parametrize(
    "url", ["/coverage", "/entity-list?country=CN", "/export-status?destination=CN&limit=2", "/companies/smic"]
)
def test_new_routes_answer_304_to_their_etag(client: TestClient, url: str) -> None:
    first = client.get(url)
    assert first.status_code == 200
    assert client.get(url, headers={"If-None-Match": first.headers["etag"]}).status_code == 304


def test_new_routes_are_documented(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    for path in ("/coverage", "/entity-list", "/export-status"):
        schema = paths[path]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
        assert schema["$ref"].startswith("#/components/schemas/")
