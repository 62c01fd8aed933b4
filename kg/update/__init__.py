"""SPARQL 1.1 Update through the validation gate: an update becomes changesets, then a merge.

What goes in: reading an update (``plan``: a structured parse, the graphs each operation can
write, the refusals), evaluating it on a private copy of the store in a sandboxed child process
(``evaluate``: the triples it would add and remove per named graph, blank nodes skolemised),
and turning that difference into changesets (``changesets``) that ``kg.gate.merge.merge`` validates
and writes like any other (docs/adr/0013).

What it promises:
- the store is never written here: the update runs on a checkpoint copy that is thrown away;
  only the per-graph difference leaves the child process, and it is merged (or refused whole)
  by the one write path;
- no update reaches the network: LOAD and SERVICE are refused from the parse, and the child that
  evaluates the update cannot open a socket (kg.sparql.sandbox), whatever the parse missed;
- only source graphs and the metadata graph are written; the default graph (the merge of the
  named graphs, docs/adr/0010) and the system graphs are read-only, checked on the parse and
  again on the difference;
- blank nodes written by an update become fresh ``.well-known/genid`` IRIs (RDF 1.1 Concepts
  §3.5), so that they can be removed again.
"""

from __future__ import annotations

from kg.update.evaluate import GraphDiff, evaluate
from kg.update.gate import changesets
from kg.update.plan import SKOLEM_BASE, Plan, UpdateError, UsingDataset, plan

__all__ = ["SKOLEM_BASE", "GraphDiff", "Plan", "UpdateError", "UsingDataset", "changesets", "evaluate", "plan"]
