"""`chipgraph build`: every fact sourced, idempotent, atomic, with the documented inferences."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest

from kg.build import BuildError, BuildSummary, build, load_plan, parse_file
from kg.gate.inference import materialise
from kg.importers import default_imports
from kg.namespaces import INFERRED_GRAPH, META_GRAPH, SYSTEM_GRAPHS
from kg.resources import source_files
from kg.store import OxigraphStore, QuerySyntaxError, term_text
from tests.conftest import texts

CG = "https://w3id.org/chipgraph/ontology#"
ID = "https://w3id.org/chipgraph/id/"


def test_summary_counts_what_the_store_holds(built: tuple[BuildSummary, OxigraphStore]) -> None:
    summary, store = built
    assert summary.total_quads == store.quad_count()
    described = {
        line.split()[0]
        for path in source_files()
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.startswith("src:")
    }
    assert summary.sources == len(described) + len(default_imports()) >= 26
    assert summary.entities_per_class["Chip"] >= 40
    assert summary.entities_per_class["Foundry"] >= 6
    assert summary.inferred_triples == store.quad_count(INFERRED_GRAPH) > 0
    # one per source graph and one for the metadata; each import adds its own metadata changeset
    assert summary.changesets == summary.sources + 1 + len(default_imports())
    assert {warning.severity for warning in summary.warnings} == {"Warning"}
    assert "https://w3id.org/chipgraph/shapes#StatedTppShape" in {warning.source_shape for warning in summary.warnings}


def test_the_default_graph_is_the_merge_of_the_named_graphs_and_not_counted_as_quads(store: OxigraphStore) -> None:
    rows = store.select("SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }")
    assert int(term_text(rows[0]["n"])) == store.quad_count()
    assert store.union_differences() == (set(), set())


def test_every_data_triple_lies_in_a_graph_whose_source_has_a_title_and_url_or_citation(
    built: tuple[BuildSummary, OxigraphStore],
) -> None:
    summary, store = built
    rows = store.select(
        f"""
        PREFIX prov: <http://www.w3.org/ns/prov#>
        PREFIX dcterms: <http://purl.org/dc/terms/>
        SELECT ?g (COUNT(*) AS ?triples) (SAMPLE(?title) AS ?t) (SAMPLE(?where) AS ?w) WHERE {{
          GRAPH ?g {{ ?s ?p ?o }}
          FILTER(?g NOT IN ({", ".join(f"<{g}>" for g in SYSTEM_GRAPHS)}))
          OPTIONAL {{ GRAPH <{META_GRAPH}> {{
            ?g prov:hadPrimarySource ?source . ?source dcterms:title ?title .
            OPTIONAL {{ ?source <{CG}url> ?url }} OPTIONAL {{ ?source <{CG}sourceCitation> ?citation }}
            BIND(COALESCE(?url, ?citation) AS ?where)
          }} }}
        }} GROUP BY ?g
        """
    )
    assert len(rows) == summary.sources
    unsourced = [term_text(row["g"]) for row in rows if "t" not in row or "w" not in row]
    assert unsourced == []


def test_a_fact_from_the_article_lies_in_the_article_graph(store: OxigraphStore) -> None:
    rows = store.select(
        f"SELECT ?g WHERE {{ GRAPH ?g {{ <{ID}chip/alibaba-inference-chip-2025> <{CG}manufacturedInCountry> ?c }} }}"
    )
    assert texts(rows, "g") == {("https://w3id.org/chipgraph/graph/networkworld-alibaba-inference-chip",)}


def test_types_are_inferred_from_subclass_axioms(store: OxigraphStore) -> None:
    # TSMC is stated a Foundry; being an Organization is inferred, into the inferred graph.
    assert store.query(f"ASK {{ GRAPH <{INFERRED_GRAPH}> {{ <{ID}organization/tsmc> a <{CG}Organization> }} }}")
    assert store.query(f"ASK {{ GRAPH <{INFERRED_GRAPH}> {{ <{ID}chip/google-tpu-v4> a <{CG}AIAccelerator> }} }}")


def test_types_are_not_inferred_from_domain_or_range() -> None:
    # The range of cg:headquarteredIn is Country and the range of cg:manufacturedBy is Foundry;
    # inferring from them would hide exactly the errors that SHACL's sh:class must catch.
    memory = OxigraphStore.in_memory()
    for path, target in load_plan()[:1]:
        memory.add_quads(parse_file(path, target))
    memory.update(
        f"""INSERT DATA {{ GRAPH <urn:g> {{
          <urn:x> a <{CG}Company> ; <{CG}headquarteredIn> <urn:nowhere> .
          <urn:chip> a <{CG}GPU> ; <{CG}manufacturedBy> <urn:x> .
        }} }}"""
    )
    materialise(memory)
    assert memory.query(f"ASK {{ <urn:x> a <{CG}Organization> }}")
    assert not memory.query(f"ASK {{ <urn:nowhere> a <{CG}Country> }}")
    assert not memory.query(f"ASK {{ <urn:x> a <{CG}Foundry> }}")


def test_inverse_and_transitive_properties_are_materialised(store: OxigraphStore) -> None:
    assert store.query(f"ASK {{ <{ID}organization/huawei> <{CG}hasSubsidiary> <{ID}organization/hisilicon> }}")
    assert store.query(f"ASK {{ <{ID}organization/smic> <{CG}manufactures> <{ID}chip/huawei-ascend-910b> }}")
    assert store.query(f"ASK {{ <{ID}chip/nvidia-h100-sxm5> <{CG}hasVariant> <{ID}chip/nvidia-h20> }}")


def test_transitive_ownership_closes_chains_of_any_length(tmp_path: Path) -> None:
    extra = """
    @prefix cg: <https://w3id.org/chipgraph/ontology#> .
    @prefix o: <https://w3id.org/chipgraph/id/organization/> .
    @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
    <https://w3id.org/chipgraph/graph/iso-3166-1> {
      o:a a cg:Company ; rdfs:label "A" ; cg:subsidiaryOf o:b .
      o:b a cg:Company ; rdfs:label "B" ; cg:subsidiaryOf o:c .
      o:c a cg:Company ; rdfs:label "C" ; cg:subsidiaryOf o:d .
      o:d a cg:Company ; rdfs:label "D" .
    }
    """
    path = tmp_path / "chain.trig"
    path.write_text(extra, encoding="utf-8")
    _, memory = build(None, plan=[*load_plan(), (path, None)])
    assert memory is not None
    org = f"{ID}organization/"
    assert memory.query(f"ASK {{ <{org}a> <{CG}subsidiaryOf> <{org}d> }}")
    assert memory.query(f"ASK {{ <{org}d> <{CG}hasSubsidiary> <{org}a> }}")


def test_building_twice_gives_the_same_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The history records when each changeset was merged; a fixed SOURCE_DATE_EPOCH makes the
    # build reproducible, the reproducible-builds convention.
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1764115200")
    first, second = tmp_path / "one", tmp_path / "two"
    build(first)
    build(second)
    build(second)  # a rebuild over an existing store
    dumps = []
    for path in (first, second):
        store = OxigraphStore.open(path)
        dumps.append(store.dump_nquads())
        store.close()
    assert dumps[0] == dumps[1]
    assert len(dumps[0].splitlines()) > 2000


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("broken.trig", "<urn:a> <urn:b> .", "broken.trig"),
        ("default-graph.trig", "<urn:a> <urn:b> <urn:c> .", "outside a named graph"),
        ("system-graph.trig", "<https://w3id.org/chipgraph/graph/inferred> { <urn:a> <urn:b> <urn:c> }", "not source"),
        ("foreign-graph.trig", "<urn:g> { <urn:a> <urn:b> <urn:c> }", "not source graphs"),
        ("unsourced.trig", "<https://w3id.org/chipgraph/graph/nobody> { <urn:a> <urn:b> <urn:c> }", "graph/nobody"),
    ],
)
def test_bad_data_fails_the_build_and_leaves_the_store_unchanged(
    tmp_path: Path, name: str, content: str, message: str
) -> None:
    target = tmp_path / "store"
    build(target)
    before = OxigraphStore.open(target)
    expected = before.dump_nquads()
    before.close()
    bad = tmp_path / name
    bad.write_text(content, encoding="utf-8")
    with pytest.raises(BuildError, match=message):
        build(target, plan=[*load_plan(), (bad, None)])
    after = OxigraphStore.open(target)
    assert after.dump_nquads() == expected
    after.close()
    assert not (tmp_path / "store.building").exists()


def test_syntax_error_names_the_line(tmp_path: Path) -> None:
    bad = tmp_path / "lines.trig"
    bad.write_text("<urn:g> {\n <urn:a> <urn:b> <urn:c> .\n <urn:a> <urn:b> \n}\n", encoding="utf-8")
    with pytest.raises(BuildError) as caught:
        build(None, plan=[(bad, None)])
    assert "lines.trig" in str(caught.value)
    assert "line 4" in str(caught.value)


def test_store_reports_invalid_sparql(store: OxigraphStore) -> None:
    with pytest.raises(QuerySyntaxError):
        store.query("SELECT * WHERE { ?s ?p }")


def test_decimal_figures_survive_the_store(store: OxigraphStore) -> None:
    rows = store.select(f"SELECT DISTINCT ?v WHERE {{ <{ID}chip/nvidia-h20> <{CG}denseFP16TFLOPS> ?v }}")
    assert [row["v"] for row in rows] == [
        ox.Literal("148", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#decimal"))
    ]
