"""Readers and writers together on a live server, for a bounded time.

Two writers merge three chips of five triples each through POST /changes while readers count, over SPARQL
and REST, the triples of every such chip: a reader must see a chip whole or not at all. At the
end every acknowledged merge is in the history with a unique sequence number.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator

import pytest

from kg.settings import Settings
from tests.http.live_server import serving

TOKEN = "concurrency-token"
EPOCH = "https://w3id.org/chipgraph/graph/epoch-ml-hardware"
ID = "https://w3id.org/chipgraph/id/chip/"
WRITERS, MERGES_EACH, READERS, SAFETY = 2, 3, 3, 300.0  # bounded by count; SAFETY only if stuck
COUNT = (
    "SELECT ?chip (COUNT(*) AS ?n) WHERE { GRAPH <" + EPOCH + "> { ?chip ?p ?o } "
    'FILTER(STRSTARTS(STR(?chip), "' + ID + 'together-")) } GROUP BY ?chip'
)


@pytest.fixture(scope="module")
def base(settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    log = tmp_path_factory.mktemp("together") / "serve.log"
    with serving(settings.store, log, write_token=TOKEN, query_workers="2", queries_per_client="2") as url:
        yield url


def call(base: str, path: str, body: dict[str, object] | None = None) -> tuple[int, dict[str, object]]:
    """GET (or POST a JSON body to) ``path``; the status and the JSON answer."""
    headers = {"Accept": "application/json"}
    data = None
    if body is not None:
        headers |= {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
        data = json.dumps(body).encode()
    request = urllib.request.Request(base + path, data=data, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def envelope(writer: int, number: int) -> dict[str, object]:
    slug = f"together-{writer}-{number}"
    data = f"""@prefix cg: <https://w3id.org/chipgraph/ontology#> .
<{ID}{slug}> a cg:GPU ; <http://www.w3.org/2000/01/rdf-schema#label> "Together {writer} {number}" ;
    cg:designedBy <https://w3id.org/chipgraph/id/organization/nvidia> ;
    cg:denseFP16TFLOPS {100 + number}.0 ; cg:dieAreaMm2 {600 + writer}.0 ."""
    return {"graph": EPOCH, "author": f"writer-{writer}", "message": "together", "add": {"data": data}}


def test_readers_never_see_half_a_merge_and_no_acknowledged_write_is_lost(base: str) -> None:
    acknowledged: list[str] = []
    seen: list[int] = []
    problems: list[str] = []
    stop = threading.Event()

    def write(writer: int) -> None:
        for number in range(MERGES_EACH):
            status, answer = call(base, "/changes", envelope(writer, number))
            if status != 201:
                problems.append(f"writer {writer}: {status} {answer}")
                return
            acknowledged.extend(answer["merged"])  # type: ignore[arg-type]

    def read() -> None:
        while not stop.is_set():
            status, answer = call(base, "/sparql?" + urllib.parse.urlencode({"query": COUNT}))
            if status == 200:
                counts = [int(row["n"]["value"]) for row in answer["results"]["bindings"]]  # type: ignore[index]
                seen.extend(counts)
            elif status not in (429, 503):
                problems.append(f"reader: {status} {answer}")
            rest, chip = call(base, "/chips/together-0-0")
            if rest == 200:  # over REST, the stated facts of the chip come whole too
                facts = chip["facts"]
                assert isinstance(facts, dict)
                stated = ("rdfs:label", "cg:designedBy", "cg:denseFP16TFLOPS", "cg:dieAreaMm2")
                seen.append(5 if all(name in facts for name in stated) else -1)

    threads = [threading.Thread(target=write, args=(w,)) for w in range(WRITERS)]
    threads += [threading.Thread(target=read) for _ in range(READERS)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + SAFETY
    for thread in threads[:WRITERS]:
        thread.join(max(0.0, deadline - time.monotonic()))
    stop.set()
    for thread in threads[WRITERS:]:
        thread.join(30)
    assert not problems, problems[:3]
    assert len(acknowledged) == WRITERS * MERGES_EACH
    assert seen and set(seen) <= {5}, sorted(set(seen))
    status, history = call(base, f"/changes?limit={WRITERS * MERGES_EACH + 50}")
    assert status == 200
    items = history["items"]
    assert isinstance(items, list)
    assert set(acknowledged) <= {item["id"] for item in items}
    sequences = [item["sequence"] for item in items]
    assert len(sequences) == len(set(sequences))
