"""POST /changes when the validation worker dies: 503, nothing written, and the next change merges."""

from __future__ import annotations

import os
import signal
import threading
import time

from fastapi.testclient import TestClient

from api.service import GraphService
from tests.http.conftest import auth

EPOCH = "https://w3id.org/chipgraph/graph/epoch-ml-hardware"
CG = "https://w3id.org/chipgraph/ontology#"
ID = "https://w3id.org/chipgraph/id/"


def new_chip(slug: str) -> dict[str, object]:
    chip = f"<{ID}chip/{slug}>"
    data = (
        f"{chip} <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <{CG}GPU> .\n"
        f'{chip} <http://www.w3.org/2000/01/rdf-schema#label> "{slug}" .\n'
        f"{chip} <{CG}designedBy> <{ID}organization/nvidia> .\n"
    )
    return {"graph": EPOCH, "author": "t", "message": "m", "add": {"format": "application/n-triples", "data": data}}


def test_a_killed_worker_refuses_the_change_then_the_next_change_merges(client: TestClient) -> None:
    service: GraphService = client.app.state.graph  # type: ignore[attr-defined]
    os.kill(service.validation.start(), signal.SIGKILL)
    quads, version = service.store.quad_count(), service.version
    refused = client.post("/changes", json=new_chip("after-a-kill"), headers=auth())
    assert refused.status_code == 503, refused.text
    assert refused.json()["code"] == "validation-unavailable"
    assert "nothing was written" in refused.json()["message"]
    assert refused.headers["Retry-After"] == "1"
    assert service.store.quad_count() == quads and service.version == version
    assert client.get("/chips/after-a-kill").status_code == 404
    again = client.post("/changes", json=new_chip("after-a-kill"), headers=auth())
    assert again.status_code == 201, again.text
    assert client.get("/chips/after-a-kill").json()["label"] == "after-a-kill"


def test_a_worker_killed_while_it_validates_refuses_that_change(client: TestClient) -> None:
    service: GraphService = client.app.state.graph  # type: ignore[attr-defined]
    worker = service.validation.start()
    quads, version = service.store.quad_count(), service.version
    os.kill(worker, signal.SIGSTOP)  # it takes the job but cannot answer it
    answers: list[object] = []
    posting = threading.Thread(
        target=lambda: answers.append(client.post("/changes", json=new_chip("killed-mid-check"), headers=auth()))
    )
    posting.start()
    time.sleep(1.0)  # whether the job reached the stopped worker or not, the kill refuses it
    os.kill(worker, signal.SIGKILL)
    posting.join(60)
    (refused,) = answers
    assert refused.status_code == 503, refused.text  # type: ignore[attr-defined]
    assert service.store.quad_count() == quads and service.version == version
    assert client.get("/chips/killed-mid-check").status_code == 404
    assert client.post("/changes", json=new_chip("killed-mid-check"), headers=auth()).status_code == 201


def test_a_dry_run_is_validated_by_the_worker_too(client: TestClient) -> None:
    service: GraphService = client.app.state.graph  # type: ignore[attr-defined]
    os.kill(service.validation.start(), signal.SIGKILL)
    answer = client.post("/changes?dry_run=true", json=new_chip("dry-after-kill"), headers=auth())
    assert answer.status_code == 503 and answer.json()["code"] == "validation-unavailable"
    assert client.post("/changes?dry_run=true", json=new_chip("dry-after-kill"), headers=auth()).json()["conforms"]
