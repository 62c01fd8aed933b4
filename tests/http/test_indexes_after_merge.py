"""The server's label index follows each merge and revert from the change, equal to a full re-read."""

from __future__ import annotations

from fastapi.testclient import TestClient

from kg import catalog
from tests.http.conftest import auth

EPOCH = "https://w3id.org/chipgraph/graph/epoch-ml-hardware"
LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
H100 = "https://w3id.org/chipgraph/id/chip/nvidia-h100-sxm5"
NEW = "https://w3id.org/chipgraph/id/chip/index-chip"


def change(add: str = "", remove: str = "") -> dict[str, object]:
    body: dict[str, object] = {"graph": EPOCH, "author": "index-test", "message": "names"}
    if add:
        body["add"] = {"format": "application/n-triples", "data": add}
    if remove:
        body["remove"] = {"format": "application/n-triples", "data": remove}
    return body


def test_the_label_index_after_merges_and_a_revert_equals_a_full_read(client: TestClient) -> None:
    service = client.app.state.graph  # type: ignore[attr-defined]
    old_name = service.label_index()[H100]
    new_chip = (
        f"<{NEW}> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <https://w3id.org/chipgraph/ontology#GPU> .\n"
        f'<{NEW}> <{LABEL}> "Index chip" .\n'
        f"<{NEW}> <https://w3id.org/chipgraph/ontology#designedBy> "
        "<https://w3id.org/chipgraph/id/organization/nvidia> .\n"
    )
    assert client.post("/changes", json=change(add=new_chip), headers=auth()).status_code == 201
    assert service.label_index()[NEW] == "Index chip"
    renamed = client.post(
        "/changes",
        json=change(add=f'<{H100}> <{LABEL}> "AAA renamed H100" .\n', remove=f'<{H100}> <{LABEL}> "{old_name}" .\n'),
        headers=auth(),
    )
    assert renamed.status_code == 201, renamed.text
    assert service.label_index()[H100] == "AAA renamed H100"
    assert service.label_index() == catalog.label_index(service.store)
    reverted = client.post(f"/changes/{renamed.json()['merged'][0]}/revert", json={"author": "t"}, headers=auth())
    assert reverted.status_code == 201, reverted.text
    assert service.label_index()[H100] == old_name
    assert service.label_index() == catalog.label_index(service.store)
    assert client.get("/chips/index-chip").json()["label"] == "Index chip"
