"""The server's hold on the graph: the store, the query workers' snapshot, and guarded merges."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Callable
from datetime import UTC, datetime

from kg import backup as backups
from kg import catalog
from kg.gate import merge as merging
from kg.gate.changes import Changeset
from kg.rulebook import Rulebook
from kg.settings import Settings
from kg.sparql.pool import QueryPool
from kg.store import OxigraphStore


class GraphService:
    """Opens the store for the server; merges one at a time and then refreshes the snapshot.

    REST look-ups run our named queries on the store in this process; user SPARQL runs in the
    query workers on a snapshot that follows every merge.
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.store = OxigraphStore.open(settings.store, read_only=False)
        self.pool = QueryPool(
            size=settings.query_workers,
            timeout=settings.query_timeout,
            queue_wait=settings.query_queue_wait,
            per_client=settings.queries_per_client,
            sandboxed=settings.query_sandbox,
        )
        self._snapshots = settings.store.with_name(settings.store.name + ".snapshots")
        self._write_lock = threading.Lock()
        self._generation = 0
        self.version = ""
        self._search: tuple[str, catalog.SearchIndex] | None = None
        self._sources: tuple[str, catalog.SourceIndex] | None = None
        self._rulebook: tuple[str, Rulebook] | None = None
        self._labels: tuple[str, catalog.LabelIndex] | None = None
        self._export_control_chips: tuple[str, set[str]] | None = None
        self._refresh()

    def _refresh(self, merged: list[Changeset] | None = None) -> None:
        """Take a new snapshot for the workers and record the graph's version (newest change id).

        With the ``merged`` changesets, the label index is updated from them (the names of the
        entities they touch re-read) rather than re-read whole; the other indexes are re-read on
        first use.
        """
        previous = self._labels[1] if self._labels is not None else None
        self._generation += 1
        target = self._snapshots / str(self._generation)
        shutil.rmtree(target, ignore_errors=True)
        self._snapshots.mkdir(parents=True, exist_ok=True)
        self.store.backup(target)
        self.pool.use_snapshot(target)
        for old in self._snapshots.iterdir():
            if old.name.isdigit() and int(old.name) < self._generation - 1:
                shutil.rmtree(old, ignore_errors=True)
        newest = merging.log(self.store, limit=1)
        version = newest[0].id if newest else "empty"
        if merged is not None and previous is not None:
            self._labels = (version, catalog.updated_labels(self.store, previous, merged))
        self.version = version
        self.label_index()  # read now, so that no request waits for them (0.5 s at 1 M triples)
        self.export_control_chips()

    def search_index(self) -> catalog.SearchIndex:
        """The search index of the current version of the graph (rebuilt after a merge)."""
        if self._search is None or self._search[0] != self.version:
            self._search = (self.version, catalog.SearchIndex.build(self.store))
        return self._search[1]

    def source_index(self) -> catalog.SourceIndex:
        """The sources of the data graphs, for the current version (re-read after a merge)."""
        if self._sources is None or self._sources[0] != self.version:
            self._sources = (self.version, catalog.source_index(self.store))
        return self._sources[1]

    def label_index(self) -> catalog.LabelIndex:
        """The names of all entities, for the current version (re-read after a merge)."""
        if self._labels is None or self._labels[0] != self.version:
            self._labels = (self.version, catalog.label_index(self.store))
        return self._labels[1]

    def export_control_chips(self) -> set[str]:
        """The chips with export-control facts, for the current version (re-read after a merge)."""
        if self._export_control_chips is None or self._export_control_chips[0] != self.version:
            self._export_control_chips = (self.version, catalog.export_control_chips(self.store))
        return self._export_control_chips[1]

    def rulebook(self) -> Rulebook:
        """The export-control rules of the current version (re-read after a merge)."""
        if self._rulebook is None or self._rulebook[0] != self.version:
            self._rulebook = (self.version, Rulebook.read(self.store))
        return self._rulebook[1]

    def merge(self, changesets: list[Changeset], *, allow_warnings: bool) -> merging.MergeResult:
        """Merge (validated, all or nothing), then refresh the snapshot; one merge at a time."""
        with self._write_lock:
            result = merging.merge(self.store, changesets, allow_warnings=allow_warnings)
            if result.merged:
                self._refresh(result.merged)
            return result

    def merge_from(
        self, changes: Callable[[OxigraphStore], list[Changeset]], *, allow_warnings: bool
    ) -> merging.MergeResult:
        """Merge the changesets ``changes`` computes from the store, under the one write lock.

        For changes that depend on the graph as it is (a SPARQL update's difference): no other
        merge can come between reading the graph and writing the result.
        """
        with self._write_lock:
            result = merging.merge(self.store, changes(self.store), allow_warnings=allow_warnings)
            if result.merged:
                self._refresh(result.merged)
            return result

    def revert(self, change_id: str, *, author: str, allow_warnings: bool) -> merging.MergeResult:
        """Revert a merged changeset (a new validated changeset), then refresh the snapshot."""
        with self._write_lock:
            result = merging.revert(self.store, change_id, author=author, allow_warnings=allow_warnings)
            if result.merged:
                self._refresh(result.merged)
            return result

    def backup(self) -> tuple[str, backups.BackupManifest]:
        """Back up the store between merges into STORE.backups/NAME; return NAME and the manifest.

        NAME is new (the UTC time). Raises StoreError if the backup cannot be written.
        """
        with self._write_lock:
            folder = backups.server_backups_folder(self.settings.store.resolve())
            name = datetime.now(UTC).strftime("%Y%m%dT%H%M%S.%fZ")
            while (folder / name).exists():
                name += "-1"
            return name, backups.backup(self.store, folder / name)

    def close(self) -> None:
        """Stop the workers, release the store, remove the snapshots."""
        self.pool.close()
        self.store.close()
        shutil.rmtree(self._snapshots, ignore_errors=True)
