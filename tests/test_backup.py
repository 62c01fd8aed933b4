"""`chipgraph backup` and `restore` on a store on disk: the restored store is the store at backup time."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from kg.backup import MANIFEST, read_manifest
from kg.cli import app
from kg.gate import merge
from kg.store import OxigraphStore
from tests.conftest import held
from tests.test_store_in_use import chip_file, dump, run

runner = CliRunner()


def invoke(*args: str) -> tuple[int, str, str]:
    """Run a command in this process; exit code, stdout and stderr with the line wrapping undone."""
    result = runner.invoke(app, list(args))
    return result.exit_code, " ".join(result.stdout.split()), " ".join(result.stderr.split())


def merge_chip(store: Path, tmp_path: Path, slug: str) -> None:
    """Merge a new chip through the command line."""
    path = chip_file(tmp_path, slug)
    code, out, err = invoke(
        "merge", str(path), "--graph", "epoch-ml-hardware", "--author", "t", "-m", slug, "--store", str(store)
    )
    assert code == 0, err
    assert "merged" in out


def leftovers(store: Path) -> list[str]:
    """Work folders left beside the store (there should be none)."""
    return sorted(p.name for p in store.parent.iterdir() if p.name.startswith((".", f"{store.name}.")))


def test_restore_gives_back_the_store_as_it_was_at_backup_time(disk_store: Path, tmp_path: Path) -> None:
    store = disk_store
    merge_chip(store, tmp_path, "before-backup")
    at_backup = dump(store)
    code, out, _ = invoke("backup", str(tmp_path / "bk"), "--store", str(store))
    assert code == 0 and f"backed up {store} to {tmp_path / 'bk'}" in out
    manifest = read_manifest(tmp_path / "bk")
    opened = OxigraphStore.open(store)
    assert (manifest.quads, manifest.newest_change) == (opened.quad_count(), merge.log(opened, 1)[0].id)
    opened.close()
    merge_chip(store, tmp_path, "after-backup")
    later = dump(store)
    assert later != at_backup
    code, _, err = invoke("restore", str(tmp_path / "bk"), "--store", str(store))
    assert code == 2 and "exists: pass --force" in err
    assert dump(store) == later
    code, out, _ = invoke("restore", str(tmp_path / "bk"), "--store", str(store), "--force")
    assert code == 0 and f"restored {store} from {tmp_path / 'bk'}" in out
    assert dump(store) == at_backup
    assert dump(tmp_path / "bk" / "store") == at_backup  # the backup itself is left as it was
    code, _, _ = invoke("restore", str(tmp_path / "bk"), "--store", str(tmp_path / "new" / "store"))
    assert code == 0 and dump(tmp_path / "new" / "store") == at_backup
    assert leftovers(store) == []


def test_backup_and_restore_refuse_what_is_in_the_way(disk_store: Path, tmp_path: Path) -> None:
    store = disk_store
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "notes.txt").write_text("mine", encoding="utf-8")
    code, _, err = invoke("backup", str(tmp_path / "full"), "--store", str(store))
    assert code == 2 and "is not an empty folder" in err
    code, _, err = invoke("restore", str(tmp_path / "full"), "--store", str(store), "--force")
    assert code == 2 and f"{tmp_path / 'full'} is not a chipgraph backup (it has no {MANIFEST})" in err
    code, _, _ = invoke("backup", str(tmp_path / "bk"), "--store", str(store))
    assert code == 0
    code, _, err = invoke("restore", str(tmp_path / "bk"), "--store", str(tmp_path / "full"), "--force")
    assert code == 2 and "is not a chipgraph store: not replacing it" in err
    assert (tmp_path / "full" / "notes.txt").read_text(encoding="utf-8") == "mine"
    code, _, err = invoke("backup", str(tmp_path / "other"), "--store", str(tmp_path / "none"))
    assert code == 2 and "no chipgraph store" in err and not (tmp_path / "other").exists()


def test_a_damaged_backup_is_refused_and_the_store_kept(disk_store: Path, tmp_path: Path) -> None:
    store = disk_store
    code, _, _ = invoke("backup", str(tmp_path / "bk"), "--store", str(store))
    assert code == 0
    manifest = tmp_path / "bk" / MANIFEST
    manifest.write_text(manifest.read_text(encoding="utf-8").replace('"quads": ', '"quads": 1'), encoding="utf-8")
    before = dump(store)
    code, _, err = invoke("restore", str(tmp_path / "bk"), "--store", str(store), "--force")
    assert code == 2 and "is damaged" in err
    assert dump(store) == before and leftovers(store) == []


def test_restore_and_backup_beside_a_held_store_refuse_and_write_nothing(disk_store: Path, tmp_path: Path) -> None:
    store = disk_store
    code, _, _ = invoke("backup", str(tmp_path / "bk"), "--store", str(store))
    assert code == 0
    before = dump(store)
    with held(store):
        code, _, err = run("restore", str(tmp_path / "bk"), "--force", "--store", str(store), "--wait", "0.2")
        assert code == 3 and f"the store at {store} is in use by another chipgraph process" in err, err
        code, _, err = run("backup", str(tmp_path / "bk2"), "--store", str(store), "--wait", "0.2")
        assert code == 3 and "set CHIPGRAPH_WRITE_TOKEN to the server's token" in err, err
    assert dump(store) == before
    assert leftovers(store) == [] and not (tmp_path / "bk2").exists()
