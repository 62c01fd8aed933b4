"""The gate: the one write path every fact takes into the store (issue 14; docs/adr/0004, 0015).

A changeset (from a file, the ``/changes`` envelope, an importer, a SPARQL update or a Graph
Store write) goes through these modules, in this order::

    changes          read and check the changeset: one named graph, triples to add and remove
       |             (Changeset, from_files, from_envelope, parse_rdf; bounded before parsing)
       v
    merge.effective  reduce it to what it changes (additions not yet there, removals present)
       |
       v
    graph_sources    the graph's source must be described in the metadata graph
       |             (GRAPH_BASE + SLUG, or <graph> prov:hadPrimarySource <source>)
       v
    affected         the focus nodes the change can affect, and the facts their shapes read
       |
       v
    validate         SHACL on that neighbourhood (or on everything, when a constraint does not
       |             say what it reads); a violation refuses the whole merge, nothing written
       v
    merge.write      ONE SPARQL update, one transaction: removals, additions, the history
       |             record, the derived figures of the chips touched (derive, derivations/*.ru),
       |             the inferred graph kept up to date by what changed (incremental_inference:
       |             delete and re-derive; inference and rules/*.ru for a full recompute), the
       |             default graph kept the merge of the named graphs (kg.union), and the proof
       v             that the inferences are at their fixpoint (else rolled back and retried)
    history          graph/history: who, when, why, exactly which triples; merge.revert undoes
                     a changeset with a new, validated one

Large additions (at least the bulk_above setting's triples, nothing removed; ``chipgraph
import-rdf``) take the bulk path of the same gate, ``bulk`` (docs/adr/0016): validated whole in
a scratch copy (pyshacl-turbo for the verdict, ``fast_shacl``; pyshacl for the report of any
result), inferences and derived figures computed there, one ``Store.extend``, the same history.

The rest of chipgraph writes only through this package: ``kg.gate.merge.merge`` (and
``revert``); reads of the history go through ``kg.gate.merge.log``/``show``.
"""

from __future__ import annotations

from kg.gate import (
    affected,
    bulk,
    changes,
    datasets,
    derive,
    fast_shacl,
    graph_sources,
    incremental_inference,
    inference,
    merge,
    validate,
)
from kg.gate.changes import Changeset, ChangesetError
from kg.gate.merge import MergeRefusedError, MergeResult, UnknownChangeError
from kg.gate.validate import ValidationReport

__all__ = [
    "Changeset",
    "ChangesetError",
    "MergeRefusedError",
    "MergeResult",
    "UnknownChangeError",
    "ValidationReport",
    "affected",
    "bulk",
    "changes",
    "datasets",
    "derive",
    "fast_shacl",
    "graph_sources",
    "incremental_inference",
    "inference",
    "merge",
    "validate",
]
