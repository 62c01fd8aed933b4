"""The server's indexes follow each merge and revert from the change, equal to a full re-read.

Labels, search, sources, the rulebook and the export-control chips (kg/indexes.py): after a
merge through the real app each answers the new fact (through the routes that use it), after a
revert it no longer does, and every index equals the one read whole from the store.
"""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from api.service import GraphService
from kg import catalog
from kg.indexes import ReadIndexes
from kg.rulebook import Rulebook
from tests.conftest import wait_for
from tests.http.conftest import auth

EPOCH = "https://w3id.org/chipgraph/graph/epoch-ml-hardware"
META = "https://w3id.org/chipgraph/graph/meta"
ENTITY_LIST_GRAPH = "https://w3id.org/chipgraph/graph/fr-84-22961"
LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
TITLE = "http://purl.org/dc/terms/title"
CG = "https://w3id.org/chipgraph/ontology#"
ID = "https://w3id.org/chipgraph/id/"
H100 = ID + "chip/nvidia-h100-sxm5"
NEW = ID + "chip/index-chip"
EPOCH_SOURCE = ID + "source/epoch-ml-hardware"
KUNLUNXIN_CHIP = ID + "chip/kunlunxin-p800"
NEW_ENTRY = ID + "entity-list-entry/index-kunlunxin"


def change(add: str = "", remove: str = "", graph: str = EPOCH) -> dict[str, object]:
    body: dict[str, object] = {"graph": graph, "author": "index-test", "message": "indexes"}
    if add:
        body["add"] = {"format": "application/n-triples", "data": add}
    if remove:
        body["remove"] = {"format": "application/n-triples", "data": remove}
    return body


def merged(client: TestClient, body: dict[str, object]) -> str:
    """POST the changeset; return its id (asserting it merged)."""
    answer = client.post("/changes", json=body, headers=auth())
    assert answer.status_code == 201, answer.text
    change_id: str = answer.json()["merged"][0]
    return change_id


def reverted(client: TestClient, change_id: str) -> None:
    answer = client.post(f"/changes/{change_id}/revert", json={"author": "t"}, headers=auth())
    assert answer.status_code == 201, answer.text


def rulebook_facts(book: Rulebook) -> dict[str, Any]:
    """The rulebook as comparable values (the order of stated facts is the store's, not meaningful)."""
    groups = ("criteria", "classifications", "requirements", "entries", "acts", "policies", "exceptions")
    return {
        "nodes": {
            group: {
                iri: {prop: sorted((s.value, s.graph) for s in stated) for prop, stated in node.facts.items()}
                for iri, node in getattr(book, group).items()
            }
            for group in groups
        },
        "sources": book.sources,
        "confidence": (book.confidence.graphs, book.confidence.statements),
    }


def assert_equal_to_a_full_read(service: GraphService) -> None:
    """Every index the service holds equals the same index read whole from its store now."""
    fresh = ReadIndexes.read(service.store, service.version)
    assert service.label_index() == fresh.labels
    assert service.search_index().entries == fresh.search.entries
    assert service.source_index() == fresh.sources
    assert service.export_control_chips() == fresh.export_control_chips
    assert rulebook_facts(service.rulebook()) == rulebook_facts(fresh.rulebook)


def search_ids(client: TestClient, text: str) -> list[str]:
    answer = client.get("/search", params={"q": text})
    assert answer.status_code == 200, answer.text
    return [hit["id"] for hit in answer.json()]


def test_the_label_index_after_merges_and_a_revert_equals_a_full_read(client: TestClient) -> None:
    service = client.app.state.graph  # type: ignore[attr-defined]
    old_name = service.label_index()[H100]
    new_chip = (
        f"<{NEW}> <{TYPE}> <{CG}GPU> .\n"
        f'<{NEW}> <{LABEL}> "Index chip" .\n'
        f"<{NEW}> <{CG}designedBy> <{ID}organization/nvidia> .\n"
    )
    merged(client, change(add=new_chip))
    assert service.label_index()[NEW] == "Index chip"
    renamed = merged(
        client, change(add=f'<{H100}> <{LABEL}> "AAA renamed H100" .\n', remove=f'<{H100}> <{LABEL}> "{old_name}" .\n')
    )
    assert service.label_index()[H100] == "AAA renamed H100"
    assert service.label_index() == catalog.label_index(service.store)
    reverted(client, renamed)
    assert service.label_index()[H100] == old_name
    assert service.label_index() == catalog.label_index(service.store)
    assert client.get("/chips/index-chip").json()["label"] == "Index chip"
    assert_equal_to_a_full_read(service)


def test_search_finds_a_merged_name_and_not_after_its_revert(client: TestClient) -> None:
    service = client.app.state.graph  # type: ignore[attr-defined]
    chip = ID + "chip/zyxwv-search-chip"
    added = merged(
        client,
        change(
            add=(
                f'<{chip}> <{TYPE}> <{CG}GPU> .\n<{chip}> <{LABEL}> "Zyxwv Search Chip" .\n'
                f"<{chip}> <{CG}designedBy> <{ID}organization/nvidia> .\n"
            )
        ),
    )
    assert search_ids(client, "zyxwv") == ["chip/zyxwv-search-chip"]
    assert client.get("/chips", params={"designer": "nvidia"}).status_code == 200  # filters resolve via the index
    assert_equal_to_a_full_read(service)
    reverted(client, added)
    assert search_ids(client, "zyxwv") == []
    assert_equal_to_a_full_read(service)


def test_a_source_title_changed_in_the_metadata_graph_is_shown_then_reverted(client: TestClient) -> None:
    service = client.app.state.graph  # type: ignore[attr-defined]
    old_title = service.source_index()[EPOCH]["title"]
    new_title = "Index test: a new title for Epoch's data set"
    retitled = merged(
        client,
        change(
            add=f'<{EPOCH_SOURCE}> <{TITLE}> "{new_title}" .\n',
            remove=f'<{EPOCH_SOURCE}> <{TITLE}> "{old_title}" .\n',
            graph=META,
        ),
    )
    titles = {source["title"] for source in client.get("/chips/nvidia-h100-sxm5").json()["sources"]}
    assert new_title in titles and old_title not in titles
    assert service.rulebook().sources[EPOCH]["title"] == new_title
    assert_equal_to_a_full_read(service)
    reverted(client, retitled)
    titles = {source["title"] for source in client.get("/chips/nvidia-h100-sxm5").json()["sources"]}
    assert old_title in titles and new_title not in titles
    assert_equal_to_a_full_read(service)


def test_a_chip_of_a_listed_designer_gets_export_control_facts_until_reverted(client: TestClient) -> None:
    service = client.app.state.graph  # type: ignore[attr-defined]
    chip = ID + "chip/index-huawei-chip"
    added = merged(
        client,
        change(
            add=(
                f"<{chip}> <{TYPE}> <{CG}AIAccelerator> .\n"
                f'<{chip}> <{LABEL}> "Index Huawei chip" .\n'
                f"<{chip}> <{CG}designedBy> <{ID}organization/huawei> .\n"
            )
        ),
    )
    assert chip in service.export_control_chips()
    facts = client.get("/chips/index-huawei-chip").json()["export_control"]
    assert any(fact["kind"] == "entity-list-entry" or "huawei" in fact["id"] for fact in facts), facts
    assert_equal_to_a_full_read(service)
    reverted(client, added)
    assert chip not in service.export_control_chips()
    assert client.get("/chips/index-huawei-chip").status_code == 404
    assert_equal_to_a_full_read(service)


def test_a_new_entity_list_entry_reaches_the_rulebook_and_the_designers_chips_until_reverted(
    client: TestClient,
) -> None:
    service = client.app.state.graph  # type: ignore[attr-defined]
    assert KUNLUNXIN_CHIP not in service.export_control_chips()
    assert client.get("/chips/kunlunxin-p800").json()["export_control"] == []
    entry = (
        f"<{NEW_ENTRY}> <{TYPE}> <{CG}EntityListEntry> .\n"
        f'<{NEW_ENTRY}> <{LABEL}> "Entity List entry: Kunlunxin (index test)" .\n'
        f"<{NEW_ENTRY}> <{CG}listedEntity> <{ID}organization/kunlunxin> .\n"
        f"<{NEW_ENTRY}> <{CG}addedBy> <{ID}act/us-2019-05-16-huawei-entity-list> .\n"
        f'<{NEW_ENTRY}> <{CG}validFrom> "2019-05-16"^^<http://www.w3.org/2001/XMLSchema#date> .\n'
    )
    added = merged(client, change(add=entry, graph=ENTITY_LIST_GRAPH))
    assert NEW_ENTRY in service.rulebook().entries
    assert KUNLUNXIN_CHIP in service.export_control_chips()
    facts = client.get("/chips/kunlunxin-p800").json()["export_control"]
    assert "entity-list-entry/index-kunlunxin" in [fact["id"] for fact in facts]
    assert_equal_to_a_full_read(service)
    reverted(client, added)
    assert NEW_ENTRY not in service.rulebook().entries
    assert KUNLUNXIN_CHIP not in service.export_control_chips()
    assert client.get("/chips/kunlunxin-p800").json()["export_control"] == []
    assert_equal_to_a_full_read(service)


def test_old_snapshots_of_the_query_workers_are_deleted_after_merges(client: TestClient) -> None:
    service = client.app.state.graph  # type: ignore[attr-defined]
    for slug in ("snap-a", "snap-b", "snap-c"):
        chip = f"{ID}chip/{slug}"
        merged(
            client,
            change(
                add=f'<{chip}> <{TYPE}> <{CG}GPU> .\n<{chip}> <{LABEL}> "{slug}" .\n'
                f"<{chip}> <{CG}designedBy> <{ID}organization/nvidia> .\n"
            ),
        )
    folder = service.settings.store.with_name(service.settings.store.name + ".snapshots")
    wait_for(lambda: len(list(folder.iterdir())) <= 2, "the snapshots but the last two deleted")
    assert sorted(int(path.name) for path in folder.iterdir())[-1] == service._generation
