"""Backups of the on-disk store, and restoring one in its place.

A backup is a folder holding ``store/``, a RocksDB checkpoint made by ``Store.backup`` (consistent:
it holds whole transactions, hence whole merges; hard links to the live files when on the same
file system, so cheap), and ``chipgraph-backup.json``, its manifest (format, time, number of
quads, newest merged changeset), written last. Both a backup and a restore are made in a
folder beside their target and renamed into place, so a target is either complete or absent.

Only the process that holds the store for writing can take a consistent backup (see
docs/adr/0008): the command line when no server runs, the server (POST /admin/backup) when one does.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import tempfile
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from kg.gate import merge
from kg.store import OxigraphStore, StoreError, ensure_free, is_store, replace_store

MANIFEST = "chipgraph-backup.json"
FORMAT = "chipgraph-backup"
FORMAT_VERSION = 1


class BackupError(StoreError):
    """Raised when a folder is not a usable backup, or a target is in the way; nothing was changed."""


@dataclass(frozen=True)
class BackupManifest:
    """What a backup holds: when it was taken, how many quads, the newest merged changeset."""

    created: str
    quads: int
    newest_change: str

    def to_json(self) -> dict[str, object]:
        """The manifest as written to chipgraph-backup.json."""
        return {"format": FORMAT, "version": FORMAT_VERSION, **asdict(self)}


def server_backups_folder(store: Path) -> Path:
    """The folder beside the store where a running server writes the backups it is asked for."""
    return store.with_name(store.name + ".backups")


def _occupied(path: Path) -> bool:
    """Whether ``path`` exists and is not an empty folder."""
    return path.exists() and (not path.is_dir() or any(path.iterdir()))


def check_target(target: Path) -> None:
    """Raise BackupError unless ``target`` is a new folder or an empty one."""
    if _occupied(target):
        raise BackupError(f"{target} exists and is not an empty folder: back up into a new folder")


def backup(store: OxigraphStore, target: Path) -> BackupManifest:
    """Write a backup of the open, on-disk ``store`` to the new folder ``target`` and return its manifest.

    The caller must hold the store for writing (no other process may write it meanwhile).
    Raises BackupError if ``target`` is in the way, StoreError if the checkpoint fails; a
    failed backup leaves nothing at ``target``.
    """
    check_target(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.partial-", dir=target.parent))
    try:
        try:
            store.backup(staging / "store")
        except OSError as error:
            raise StoreError(f"cannot back up the store: {error}") from error
        manifest = _describe(staging / "store")
        (staging / MANIFEST).write_text(json.dumps(manifest.to_json(), indent=2) + "\n", encoding="utf-8")
        fsync_tree(staging)
        place(staging, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return manifest


def _describe(checkpoint: Path) -> BackupManifest:
    """The manifest of a checkpoint, read from the checkpoint itself (so it matches what was saved)."""
    opened = OxigraphStore.open(checkpoint)
    try:
        newest = merge.log(opened, limit=1)
        quads = opened.quad_count()
    finally:
        opened.close()
    created = datetime.now(UTC).isoformat(timespec="seconds")
    return BackupManifest(created=created, quads=quads, newest_change=newest[0].id if newest else "empty")


def place(folder: Path, target: Path) -> None:
    """Move the finished backup ``folder`` to ``target`` (a new or empty folder), whole or not at all.

    A rename when both are on one file system; otherwise a copy beside ``target``, then a rename.
    Raises BackupError if ``target`` is in the way, OSError if the file system refuses.
    """
    check_target(target)
    if target.exists():
        target.rmdir()
    try:
        folder.rename(target)
        return
    except OSError as error:
        if error.errno != errno.EXDEV:
            raise
    copy = Path(tempfile.mkdtemp(prefix=f".{target.name}.partial-", dir=target.parent)) / "backup"
    try:
        shutil.copytree(folder, copy)
        fsync_tree(copy)
        copy.rename(target)
    finally:
        shutil.rmtree(copy.parent, ignore_errors=True)
    shutil.rmtree(folder, ignore_errors=True)


def read_manifest(folder: Path) -> BackupManifest:
    """The manifest of the backup in ``folder``; raise BackupError if the folder is not a chipgraph backup."""
    if not (folder / MANIFEST).is_file():
        raise BackupError(f"{folder} is not a chipgraph backup (it has no {MANIFEST})")
    try:
        data = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
        if data.get("format") != FORMAT or data.get("version") != FORMAT_VERSION:
            raise ValueError(f"format {data.get('format')!r} version {data.get('version')!r}")
        manifest = BackupManifest(str(data["created"]), int(data["quads"]), str(data["newest_change"]))
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as error:
        raise BackupError(f"{folder} is not a chipgraph backup (its {MANIFEST} does not read: {error})") from error
    if not is_store(folder / "store"):
        raise BackupError(f"{folder} is not a chipgraph backup (its store/ folder is missing or incomplete)")
    return manifest


def restore(source: Path, target: Path, *, force: bool = False, wait: float = 0.0) -> BackupManifest:
    """Replace the store at ``target`` by a copy of the backup in ``source``, and return its manifest.

    The copy is made and checked (it opens, and holds as many quads as the manifest says) in a
    folder beside ``target``, then renamed into place; the backup itself is never changed.
    Raises BackupError if ``source`` is not a backup, if ``target`` exists and ``force`` is not
    set, or if ``target`` is a folder that is not a store; StoreLockedError if another process
    holds ``target`` for longer than ``wait`` seconds. On any error ``target`` is unchanged.
    """
    manifest = read_manifest(source)
    if _occupied(target) and not force:
        raise BackupError(f"the store at {target} exists: pass --force to replace it with the backup")
    if _occupied(target) and not is_store(target):
        raise BackupError(f"{target} exists and is not a chipgraph store: not replacing it")
    ensure_free(target, wait=wait)  # before copying: a held store is refused at once
    target.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{target.name}.restoring-", dir=target.parent))
    try:
        shutil.copytree(source / "store", work / "store")
        _verify(work / "store", manifest, source)
        fsync_tree(work / "store")
        replace_store(work / "store", target, wait=wait)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return manifest


def _verify(copy: Path, manifest: BackupManifest, source: Path) -> None:
    """Raise BackupError unless the copied store opens for writing and holds the manifest's quads."""
    try:
        opened = OxigraphStore.open(copy, read_only=False)
    except StoreError as error:
        raise BackupError(f"the backup in {source} does not open: {error}") from error
    try:
        quads = opened.quad_count()
    finally:
        opened.close()
    if quads != manifest.quads:
        raise BackupError(f"the backup in {source} is damaged: {quads} quads where its manifest says {manifest.quads}")


def fsync_tree(folder: Path) -> None:
    """Flush every file of ``folder`` to disk (a backup should survive a power cut, not only a crash)."""
    for root, _, files in os.walk(folder):
        for name in files:
            descriptor = os.open(os.path.join(root, name), os.O_RDONLY)
            try:
                os.fsync(descriptor)
            finally:
                os.close(descriptor)
