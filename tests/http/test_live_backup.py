"""`chipgraph backup` while a live `chipgraph serve` holds the store, answers queries and accepts writes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from kg.backup import read_manifest
from kg.build import build, load_plan
from kg.store import OxigraphStore
from tests.http.live_server import free_port, serving

TOKEN = "live-backup-token"
EPOCH = "https://w3id.org/chipgraph/graph/epoch-ml-hardware"


@dataclass(frozen=True)
class Live:
    """A running server: its store, its URL, and the environment that names it to the command line."""

    store: Path
    url: str
    env: dict[str, str]


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    folder = tmp_path_factory.mktemp("live-backup")
    store = folder / "store"
    build(store, plan=load_plan())  # the curated data only: quick
    port = free_port()
    clean = {key: value for key, value in os.environ.items() if not key.startswith("CHIPGRAPH_")}
    env = {**clean, "CHIPGRAPH_WRITE_TOKEN": TOKEN, "CHIPGRAPH_PORT": str(port), "CHIPGRAPH_LOCK_WAIT": "0.2"}
    options = {"write_token": TOKEN, "lock_wait": "0.2", "query_workers": "1"}
    with serving(store, folder / "serve.log", port, **options) as url:
        yield Live(store, url, env)


def call(url: str, body: dict[str, object] | None = None) -> dict[str, object]:
    """GET (or POST with the token) a JSON resource of the server."""
    data = json.dumps(body).encode() if body is not None else None
    headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"} if body is not None else {}
    with urllib.request.urlopen(urllib.request.Request(url, data=data, headers=headers), timeout=30) as response:
        answer: dict[str, object] = json.load(response)
        return answer


def add_chip(live: Live, slug: str) -> str:
    """Merge a chip through POST /changes; its change id."""
    data = (
        f"<https://w3id.org/chipgraph/id/chip/{slug}> a <https://w3id.org/chipgraph/ontology#GPU> ; "
        f'<http://www.w3.org/2000/01/rdf-schema#label> "{slug}" ; <https://w3id.org/chipgraph/ontology#designedBy> '
        "<https://w3id.org/chipgraph/id/organization/nvidia> ."
    )
    add = {"format": "text/turtle", "data": data}
    merged = call(f"{live.url}/changes", {"graph": EPOCH, "author": "t", "message": slug, "add": add})["merged"]
    assert isinstance(merged, list)
    return str(merged[0])


def has_chip(live: Live, slug: str) -> bool:
    """Ask the server's SPARQL endpoint whether the chip is there."""
    query = urllib.parse.quote(f"ASK {{ <https://w3id.org/chipgraph/id/chip/{slug}> ?p ?o }}")
    return bool(call(f"{live.url}/sparql?query={query}")["boolean"])


def run(live: Live, *args: str, store: Path | None = None) -> tuple[int, str, str]:
    """A chipgraph command in its own process, beside the server (on its store unless told); code, stdout, stderr."""
    done = subprocess.run(
        [sys.executable, "-m", "kg.cli", *args, "--store", str(store or live.store)],
        capture_output=True,
        text=True,
        env=live.env,
        timeout=60,
    )
    return done.returncode, " ".join(done.stdout.split()), " ".join(done.stderr.split())


def test_backup_while_serving_then_restore_after(live: Live, tmp_path: Path) -> None:
    first = add_chip(live, "live-before")
    triples = call(f"{live.url}/readyz")["triples"]
    backup = subprocess.Popen(
        [sys.executable, "-m", "kg.cli", "backup", str(tmp_path / "bk"), "--store", str(live.store)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=live.env,
    )
    answered = 0
    while backup.poll() is None:  # the server keeps answering queries meanwhile
        assert has_chip(live, "live-before")
        answered += 1
    assert answered > 0
    out, err = backup.communicate(timeout=60)
    assert backup.returncode == 0, err
    assert f"(taken by the server at {live.url})" in " ".join(out.split())
    add_chip(live, "live-after")  # and accepts writes after
    assert has_chip(live, "live-after")
    manifest = read_manifest(tmp_path / "bk")
    assert (manifest.newest_change, manifest.quads) == (first, triples)
    saved = OxigraphStore.open(tmp_path / "bk" / "store")
    assert saved.select("SELECT ?l WHERE { <https://w3id.org/chipgraph/id/chip/live-before> ?p ?l }")
    assert not saved.select("SELECT ?l WHERE { <https://w3id.org/chipgraph/id/chip/live-after> ?p ?l }")
    at_backup = saved.dump_nquads()
    saved.close()
    assert not any((live.store.parent / "store.backups").iterdir())  # moved on to where it was asked

    for command in (("restore", str(tmp_path / "bk"), "--force"), ("import", "csl", "missing.csv")):
        code, _, err = run(live, *command)
        assert code == 3 and f"the store at {live.store} is in use by another chipgraph process" in err, err
    assert has_chip(live, "live-after")
    code, _, err = run(live, "restore", str(tmp_path / "bk"), store=tmp_path / "restored")
    assert code == 0, err
    restored = OxigraphStore.open(tmp_path / "restored")
    assert restored.dump_nquads() == at_backup
    restored.close()


def test_a_backup_the_server_does_not_take_is_a_clear_error(live: Live, tmp_path: Path) -> None:
    wrong = {**live.env, "CHIPGRAPH_WRITE_TOKEN": "wrong"}
    code, _, err = run(Live(live.store, live.url, wrong), "backup", str(tmp_path / "bk"))
    assert code == 2 and f"the server at {live.url} did not take the backup" in err
    without = {key: value for key, value in live.env.items() if key != "CHIPGRAPH_WRITE_TOKEN"}
    code, _, err = run(Live(live.store, live.url, without), "backup", str(tmp_path / "bk"))
    assert code == 3 and "set CHIPGRAPH_WRITE_TOKEN to the server's token" in err
    assert not (tmp_path / "bk").exists()
