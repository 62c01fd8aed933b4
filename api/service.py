"""The server's hold on the graph: the store, the query workers' snapshot, and guarded merges."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

from api.remote_version import VersionWatch, newest_version
from kg import backup as backups
from kg import catalog
from kg.gate import merge as merging
from kg.gate.changes import Changeset
from kg.gate.validate import ValidationReport, validate_changes
from kg.gate.validation_worker import ValidationWorker
from kg.indexes import ReadIndexes
from kg.rulebook import Rulebook
from kg.settings import Settings
from kg.sparql.pool import QueryPool
from kg.sparql.remote import RemoteQueryPool, remote_pool
from kg.store import AnyStore, OxigraphStore, RemoteStore, StoreError


def remove_later(folders: list[Path]) -> subprocess.Popen[bytes] | None:
    """Delete ``folders`` (old snapshots, no longer used) in a child process, so no Python thread of the server does.

    Returns the child (to be waited for), or None where there is no ``rm`` (not POSIX): then
    they were deleted here. Errors are ignored: a folder left behind is deleted by ``close``.
    """
    if os.name == "posix" and shutil.which("rm"):
        return subprocess.Popen(["rm", "-rf", "--", *map(str, folders)], stdin=subprocess.DEVNULL)
    for folder in folders:
        shutil.rmtree(folder, ignore_errors=True)
    return None


def lower_priority(niceness: int) -> None:
    """Add ``niceness`` to the calling thread's (Linux: niceness is per thread); elsewhere nothing."""
    if sys.platform != "linux" or not niceness:
        return
    thread = threading.get_native_id()
    with contextlib.suppress(OSError):  # not allowed here: merges then compete with readers as equals
        os.setpriority(os.PRIO_PROCESS, thread, min(19, os.getpriority(os.PRIO_PROCESS, thread) + niceness))


class GraphService:
    """Opens the store for the server; merges one at a time and then refreshes the snapshot.

    REST look-ups run our named queries on the store in this process; user SPARQL runs in the
    query workers on a snapshot that follows every merge. Readers never wait for a merge: the
    indexes of a version (kg/indexes.py) are updated from the merged changesets under the write
    lock, then swapped in as one object; the index accessors never read the store nor take the
    lock. SHACL validation of a change runs in a worker process (kg/gate/validation_worker.py),
    so that a merge holds the GIL as little as possible, and merges run in one writer thread of
    lower CPU priority, so that on a busy machine readers are scheduled first (docs/adr/0017).

    With CHIPGRAPH_STORE_URL set the service reads a SPARQL server instead (``remote``; issue 15,
    docs/adr/0018): a RemoteStore, user SPARQL through RemoteQueryPool (no snapshots), the
    indexes read whole at start and again whenever the version read from the store moves
    (api/remote_version.py). Merges and reverts hold the server's write lock as well as this
    process's (kg/store/server_lock.py; kg/gate/replay.py writes them); backup raises StoreError
    (back the server up with its own tools).
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.remote: RemoteStore | None = RemoteStore.from_settings(settings) if settings.store_url else None
        self._watch: VersionWatch | None = None
        self._indexes: ReadIndexes | None = None
        self.pool: QueryPool | RemoteQueryPool
        if self.remote is not None:
            self.store: AnyStore = self.remote
            self.pool = remote_pool(self.remote, settings)
        else:
            self.store = OxigraphStore.open(settings.store, read_only=False)
            self.pool = QueryPool(
                size=settings.query_workers,
                timeout=settings.query_timeout,
                queue_wait=settings.query_queue_wait,
                per_client=settings.queries_per_client,
                sandboxed=settings.query_sandbox,
            )
        self.validation = ValidationWorker(niceness=settings.write_niceness)
        self._writer = ThreadPoolExecutor(
            1, thread_name_prefix="chipgraph-writer", initializer=lower_priority, initargs=(settings.write_niceness,)
        )
        self._snapshots = settings.store.with_name(settings.store.name + ".snapshots")
        self._write_lock = threading.Lock()
        self._generation = 0
        self._removers: list[subprocess.Popen[bytes]] = []
        if self.remote is not None:
            self._open_remote(self.remote)
            return
        self._refresh()
        if settings.write_token is not None:  # writes on: start the validation worker now, not in the first merge
            self._writer.submit(self.validation.start)

    @property
    def version(self) -> str:
        """The version of the graph the indexes describe: the newest change id, or "empty"."""
        return self._read_indexes().version

    def _open_remote(self, store: RemoteStore) -> None:
        """Read the indexes of the server's current version, and watch that version from now on."""
        version = newest_version(store)
        self._indexes = ReadIndexes.read(self.store, version)
        self._watch = VersionWatch(store, self.settings.store_version_check, version, self._reread)

    def _reread(self, version: str) -> None:
        """Swap in the indexes of ``version``, read whole (another process changed the store)."""
        self._indexes = ReadIndexes.read(self.store, version)

    def _read_indexes(self) -> ReadIndexes:
        if self._watch is not None:
            self._watch.check()
        indexes = self._indexes
        assert indexes is not None  # set by __init__
        return indexes

    def _refresh(self, merged: list[Changeset] | None = None) -> None:
        """Take a new snapshot for the workers, then swap in the indexes of the new version.

        With the ``merged`` changesets the indexes are updated from them (kg/indexes.py);
        otherwise (at start) read whole.
        """
        self._generation += 1
        target = self._snapshots / str(self._generation)
        shutil.rmtree(target, ignore_errors=True)
        self._snapshots.mkdir(parents=True, exist_ok=True)
        assert isinstance(self.store, OxigraphStore)  # a SPARQL server's service has no snapshots
        self.store.backup(target)
        self.pool.use_snapshot(target)
        last = self._generation - 1
        stale = [old for old in self._snapshots.iterdir() if old.name.isdigit() and int(old.name) < last]
        self._removers = [child for child in self._removers if child.poll() is None]
        child = remove_later(stale) if stale else None
        if child is not None:
            self._removers.append(child)
        newest = merging.log(self.store, limit=1)
        version = newest[0].id if newest else "empty"
        if merged is not None and self._indexes is not None:
            self._indexes = self._indexes.updated(self.store, version, merged)
        else:
            self._indexes = ReadIndexes.read(self.store, version)

    def search_index(self) -> catalog.SearchIndex:
        """The search index of the current version of the graph."""
        return self._read_indexes().search

    def source_index(self) -> catalog.SourceIndex:
        """The sources of the data graphs, for the current version."""
        return self._read_indexes().sources

    def label_index(self) -> catalog.LabelIndex:
        """The names of all entities, for the current version."""
        return self._read_indexes().labels

    def export_control_chips(self) -> frozenset[str]:
        """The chips with export-control facts, for the current version."""
        return self._read_indexes().export_control_chips

    def rulebook(self) -> Rulebook:
        """The export-control rules of the current version."""
        return self._read_indexes().rulebook

    def validate(self, changesets: list[Changeset], *, allow_warnings: bool) -> ValidationReport:
        """Validate the changesets against the graph as it is (the worker checks them); write nothing.

        Raises ValidationWorkerError if the worker stops first.
        """
        return validate_changes(self.store, changesets, allow_warnings=allow_warnings, check=self.validation.check)

    def _written(self, action: Callable[[], merging.MergeResult]) -> merging.MergeResult:
        """Run ``action`` in the writer thread under the write locks, then refresh if it merged anything.

        The locks: this process's, and the store's (on a SPARQL server the server's write lock, which
        every process writing there shares; kg/store/server_lock.py), so that nothing merges between
        what ``action`` reads and what it writes.
        """

        def write() -> merging.MergeResult:
            with self._write_lock, self.store.writing():
                result = action()
                if result.merged:
                    self._after_merge(result.merged)
                return result

        return self._writer.submit(write).result()

    def _after_merge(self, merged: list[Changeset]) -> None:
        """Bring snapshot and indexes to the version ``merged`` made (on a server: see _after_remote_merge)."""
        if self._watch is None:
            self._refresh(merged)
            return
        self._after_remote_merge(merged)

    def _after_remote_merge(self, merged: list[Changeset]) -> None:
        """Update the indexes from ``merged`` when they came right after the version in hand, else read them whole.

        Another process may have merged between the version this process last read and this merge.
        """
        assert self._watch is not None and self._indexes is not None
        records = merging.log(self.store, limit=len(merged) + 1)
        ours = [record.id for record in records[: len(merged)]] == [str(change.id) for change in reversed(merged)]
        before = records[len(merged)].id if len(records) > len(merged) else "empty"
        version = records[0].id if records else "empty"
        if ours and before == self._indexes.version:
            self._indexes = self._indexes.updated(self.store, version, merged)
        else:
            self._indexes = ReadIndexes.read(self.store, version)
        self._watch.seen = version

    def merge(self, changesets: list[Changeset], *, allow_warnings: bool) -> merging.MergeResult:
        """Merge (validated, all or nothing), then refresh the snapshot; one merge at a time."""
        check = self.validation.check
        return self._written(lambda: merging.merge(self.store, changesets, allow_warnings=allow_warnings, check=check))

    def merge_from(
        self, changes: Callable[[AnyStore], list[Changeset]], *, allow_warnings: bool
    ) -> merging.MergeResult:
        """Merge the changesets ``changes`` computes from the store, under the one write lock.

        For changes that depend on the graph as it is (a SPARQL update's difference): no other
        merge can come between reading the graph and writing the result.
        """
        check = self.validation.check
        return self._written(
            lambda: merging.merge(self.store, changes(self.store), allow_warnings=allow_warnings, check=check)
        )

    def revert(self, change_id: str, *, author: str, allow_warnings: bool) -> merging.MergeResult:
        """Revert a merged changeset (a new validated changeset), then refresh the snapshot."""
        check = self.validation.check
        return self._written(
            lambda: merging.revert(self.store, change_id, author=author, allow_warnings=allow_warnings, check=check)
        )

    def backup(self) -> tuple[str, backups.BackupManifest]:
        """Back up the store between merges into STORE.backups/NAME; return NAME and the manifest.

        NAME is new (the UTC time). Raises StoreError if the backup cannot be written, or on a
        remote store (back the server up with its own tools).
        """
        if not isinstance(self.store, OxigraphStore):
            raise StoreError("backups of a remote store are not supported: use the server's own backup")
        with self._write_lock:
            folder = backups.server_backups_folder(self.settings.store.resolve())
            name = datetime.now(UTC).strftime("%Y%m%dT%H%M%S.%fZ")
            while (folder / name).exists():
                name += "-1"
            return name, backups.backup(self.store, folder / name)

    def close(self) -> None:
        """Stop the workers, release the store, remove the snapshots."""
        self._writer.shutdown(wait=True)
        for child in self._removers:
            child.wait()
        self.pool.close()
        self.validation.close()
        self.store.close()
        shutil.rmtree(self._snapshots, ignore_errors=True)
