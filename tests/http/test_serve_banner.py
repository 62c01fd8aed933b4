"""`chipgraph serve` says where it serves, which store, and whether writes are on."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.http.live_server import free_port, serving


def test_serve_prints_its_address_store_and_write_mode(store_dir: Path, tmp_path: Path) -> None:
    store = tmp_path / "store"
    shutil.copytree(store_dir, store)
    for environment, writes in (({}, "writes off"), ({"write_token": "s3cret-token"}, "writes on")):
        port, log = free_port(), tmp_path / "serve.log"
        with serving(store, log, port, **environment) as base:
            printed = log.read_text()
        assert f"at {base}/" in printed and str(store) in printed
        assert writes in printed and "s3cret-token" not in printed
