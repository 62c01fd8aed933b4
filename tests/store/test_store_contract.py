"""The Store contract, on both stores: embedded Oxigraph in memory and RemoteStore on a real Virtuoso.

Each test gets an empty store (``any_store``). Writes go through ``add_quads`` and through the
kg/union.py operations with the store's ``mirror_graph``, as the rest of chipgraph writes, so the
default graph stays the merge of the named graphs on both.
"""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from kg import union
from kg.store import OxigraphStore, QuerySyntaxError, RemoteStore, Store, StoreError, term_text
from tests.conftest import texts

EX = "https://example.org/"
XSD = "http://www.w3.org/2001/XMLSchema#"
A, B, C = (ox.NamedNode(f"{EX}graph/{name}") for name in "abc")
S, S2 = ox.NamedNode(f"{EX}s"), ox.NamedNode(f"{EX}s2")
P, Q = ox.NamedNode(f"{EX}p"), ox.NamedNode(f"{EX}q")


Subject = ox.NamedNode | ox.BlankNode


def quad(subject: Subject, obj: Subject | ox.Literal, graph: ox.NamedNode) -> ox.Quad:
    """A quad with predicate P."""
    return ox.Quad(subject, P, obj, graph)


def count(store: Store, sparql: str) -> int:
    """The ?n of a COUNT query run through ``store.query`` (the dataset users see)."""
    return int(term_text(store.select(sparql)[0]["n"]))


def test_add_quads_then_read_them_back(any_store: Store) -> None:
    quads = [quad(S, ox.Literal("one"), A), quad(S, ox.Literal("two"), A), quad(S2, S, B)]
    any_store.add_quads(quads)
    assert any_store.named_graphs() == sorted([A.value, B.value])
    assert any_store.quad_count() == 3
    assert any_store.quad_count(A.value) == 2
    assert any_store.triple_count() == 3
    assert set(any_store.quads(A.value)) == set(quads[:2])
    assert any_store.has_graph(B.value) and not any_store.has_graph(C.value)
    assert any_store.contains(quads[2])
    assert any_store.contains(ox.Quad(S2, P, S, ox.DefaultGraph()))
    assert not any_store.contains(ox.Quad(S2, P, S, A))
    assert set(any_store.all_quads()) == set(quads)
    assert set(any_store.triples(None)) == {q.triple for q in quads}


def test_a_quad_in_the_default_graph_is_refused_and_nothing_written(any_store: Store) -> None:
    with pytest.raises(ValueError, match="default graph"):
        any_store.add_quads([quad(S, ox.Literal("ok"), A), ox.Quad(S, P, ox.Literal("x"), ox.DefaultGraph())])
    assert any_store.quad_count() == 0
    assert any_store.triple_count() == 0


def test_set_semantics_of_the_default_graph(any_store: Store) -> None:
    """A triple two graphs state is one triple of the default graph: counted once, matched once."""
    any_store.add_quads([quad(S, ox.Literal("shared"), A), quad(S, ox.Literal("shared"), B), quad(S, S2, A)])
    assert any_store.quad_count() == 3
    assert any_store.triple_count() == 2
    assert count(any_store, "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }") == 2
    assert len(any_store.select(f'SELECT ?s WHERE {{ ?s {P} "shared" }}')) == 1
    # GRAPH ?g ranges over the named graphs that state it, and only over chipgraph's graphs.
    assert texts(any_store.select(f'SELECT ?g WHERE {{ GRAPH ?g {{ {S} {P} "shared" }} }}'), "g") == {
        (A.value,),
        (B.value,),
    }
    graphs = any_store.select("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }")
    assert sorted(term_text(row["g"]) for row in graphs) == [A.value, B.value]
    assert count(any_store, "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }") == 3
    assert count(any_store, f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH {A} {{ ?s ?p ?o }} }}") == 2


def test_remove_with_delete_data_keeps_the_merge(any_store: Store) -> None:
    shared = ox.Triple(S, P, ox.Literal("shared"))
    any_store.add_quads([ox.Quad(S, P, ox.Literal("shared"), graph) for graph in (A, B)])
    any_store.update(" ;\n".join(union.delete_data(A, [shared], mirror=any_store.mirror_graph)))
    assert any_store.quad_count() == 1
    assert any_store.triple_count() == 1  # B still states it
    assert bool(any_store.query(f'ASK {{ {S} {P} "shared" }}'))
    any_store.update(" ;\n".join(union.delete_data(B, [shared], mirror=any_store.mirror_graph)))
    assert any_store.quad_count() == 0
    assert any_store.triple_count() == 0
    assert not bool(any_store.query(f'ASK {{ {S} {P} "shared" }}'))
    assert not any_store.has_graph(A.value) and not any_store.has_graph(B.value)


def test_remove_typed_values_keeps_the_merge(any_store: Store) -> None:
    """DELETE DATA and its mirror sweep match typed values as stored (decimals of up to 15 fractional digits)."""
    values = [literal for literal in LITERALS if literal.datatype.value != f"{XSD}string"]
    values.append(ox.Literal("1234567.123456789012345", datatype=ox.NamedNode(f"{XSD}decimal")))
    any_store.add_quads([quad(S, value, A) for value in values])
    assert any_store.triple_count() == len(values)
    triples = [ox.Triple(S, P, value) for value in values]
    any_store.update(" ;\n".join(union.delete_data(A, triples, mirror=any_store.mirror_graph)))
    assert any_store.quad_count() == 0
    assert any_store.triple_count() == 0


def test_drop_graph_keeps_the_merge(any_store: Store) -> None:
    any_store.add_quads([quad(S, ox.Literal("shared"), A), quad(S, ox.Literal("shared"), B), quad(S, S2, A)])
    any_store.update(" ;\n".join(union.drop_graph(str(A), mirror=any_store.mirror_graph)))
    assert any_store.named_graphs() == [B.value]
    assert any_store.triple_count() == 1
    assert texts(any_store.select("SELECT ?o WHERE { ?s ?p ?o }"), "o") == {("shared",)}


def test_insert_data_through_union_keeps_the_merge(any_store: Store) -> None:
    any_store.update(union.insert_data(C, f'{S} {P} "new" .', mirror=any_store.mirror_graph))
    assert any_store.named_graphs() == [C.value]
    assert any_store.triple_count() == 1
    assert texts(any_store.select("SELECT ?o WHERE { ?s ?p ?o }"), "o") == {("new",)}


def test_a_mirrored_rule_and_delete_where_keep_the_merge(any_store: Store) -> None:
    """An inference rule's template also writes the merge; DELETE WHERE sweeps it first (kg/union.py)."""
    any_store.add_quads([quad(S, S2, A), quad(S2, S, B), quad(S, ox.Literal("already"), C)])
    inferred = ox.NamedNode(f"{EX}graph/inferred")
    rule = f"INSERT {{ GRAPH {inferred} {{ ?o {Q} ?s }} }} WHERE {{ GRAPH ?g {{ ?s {P} ?o FILTER(isIRI(?o)) }} }}"
    any_store.update(union.mirrored(rule, mirror=any_store.mirror_graph))
    assert any_store.quad_count(inferred.value) == 2
    assert any_store.triple_count() == 5
    assert texts(any_store.select(f"SELECT ?s WHERE {{ ?s {Q} ?o }}"), "s") == {(S.value,), (S2.value,)}
    any_store.update(" ;\n".join(union.delete_where(str(inferred), [f"{S2} ?p ?o"], mirror=any_store.mirror_graph)))
    assert any_store.quad_count(inferred.value) == 1
    assert any_store.triple_count() == 4
    assert texts(any_store.select(f"SELECT ?s WHERE {{ ?s {Q} ?o }}"), "s") == {(S.value,)}


def test_select_ask_construct_describe(any_store: Store) -> None:
    any_store.add_quads([quad(S, ox.Literal("x"), A), quad(S2, S, A)])
    solutions = any_store.query(f"SELECT ?o WHERE {{ {S} {P} ?o }}")
    assert isinstance(solutions, ox.QuerySolutions)
    assert [term_text(row["o"]) for row in solutions] == ["x"]
    assert isinstance(any_store.query("ASK { ?s ?p ?o }"), ox.QueryBoolean)
    assert bool(any_store.query(f'ASK {{ {S} {P} "x" }}')) is True
    assert bool(any_store.query(f'ASK {{ {S} {P} "y" }}')) is False
    constructed = any_store.query(f"CONSTRUCT {{ ?o {Q} ?s }} WHERE {{ ?s {P} ?o FILTER(isIRI(?o)) }}")
    assert isinstance(constructed, ox.QueryTriples)
    assert set(constructed) == {ox.Triple(S, Q, S2)}
    described = any_store.query(f"DESCRIBE {S2}")
    assert isinstance(described, ox.QueryTriples)
    assert ox.Triple(S2, P, S) in set(described)
    # select() leaves unbound variables out of a row.
    rows = any_store.select(f"SELECT ?s ?missing WHERE {{ ?s {P} {S} OPTIONAL {{ ?s {Q} ?missing }} }}")
    assert rows == [{"s": S2}]


def test_a_query_with_its_own_dataset_keeps_it(any_store: Store) -> None:
    any_store.add_quads([quad(S, ox.Literal("in a"), A), quad(S, ox.Literal("in b"), B)])
    rows = any_store.select(f"SELECT ?o FROM {A} WHERE {{ ?s ?p ?o }}")
    assert texts(rows, "o") == {("in a",)}


LITERALS = [
    ox.Literal("plain"),
    ox.Literal("chaîne", language="fr"),
    ox.Literal("colour", language="en-gb"),
    ox.Literal("42", datatype=ox.NamedNode(f"{XSD}integer")),
    ox.Literal("1.5", datatype=ox.NamedNode(f"{XSD}decimal")),
    ox.Literal("true", datatype=ox.NamedNode(f"{XSD}boolean")),
    ox.Literal("2024-02-29", datatype=ox.NamedNode(f"{XSD}date")),
    ox.Literal("2024-02-29T12:30:00Z", datatype=ox.NamedNode(f"{XSD}dateTime")),
    ox.Literal("7 nm", datatype=ox.NamedNode(f"{EX}node")),
    ox.Literal("日本語 ünïcödé \U0001d518 emoji 🚀, quotes \" ' and a \\ backslash"),
    ox.Literal("two\nlines\tand a tab"),
]


def test_literals_round_trip(any_store: Store) -> None:
    """Datatypes, language tags and unicode come back equal (in canonical form: Virtuoso stores values)."""
    quads = [quad(ox.NamedNode(f"{EX}s/{index}"), literal, A) for index, literal in enumerate(LITERALS)]
    any_store.add_quads(quads)
    assert set(any_store.quads(A.value)) == set(quads)
    rows = any_store.select(f"SELECT ?o WHERE {{ GRAPH {A} {{ ?s {P} ?o }} }}")
    assert {row["o"] for row in rows} == set(LITERALS)
    # A literal matches in a query too: language tag and datatype included.
    assert bool(any_store.query(f'ASK {{ ?s {P} "chaîne"@fr }}'))
    assert not bool(any_store.query(f'ASK {{ ?s {P} "chaîne" }}'))
    assert bool(any_store.query(f"ASK {{ ?s {P} 42 }}"))


def test_virtuoso_answers_values_in_canonical_form(remote: RemoteStore) -> None:
    """Virtuoso stores typed values, not their text: a non-canonical form comes back canonical.

    The embedded store keeps the text. chipgraph's data uses canonical forms (docs/adr/0018); a
    boolean, which Virtuoso writes 1 or 0, is made true or false again by the store.
    """
    forms = {
        "1.50": ("decimal", "1.5"),
        "007": ("integer", "7"),
        "true": ("boolean", "true"),
        "0": ("boolean", "false"),
    }
    quads = [
        quad(ox.NamedNode(f"{EX}s/{text}"), ox.Literal(text, datatype=ox.NamedNode(f"{XSD}{kind}")), A)
        for text, (kind, _) in forms.items()
    ]
    remote.add_quads(quads)
    back = {q.subject.value.rsplit("/", 1)[1]: q.object.value for q in remote.quads(A.value)}
    assert back == {text: canonical for text, (_, canonical) in forms.items()}
    constructed = remote.query(f"CONSTRUCT {{ ?s {P} ?o }} WHERE {{ ?s {P} ?o }}")
    assert {triple.object.value for triple in constructed} == {"1.5", "7", "true", "false"}


def test_unicode_iris_round_trip(any_store: Store) -> None:
    subject = ox.NamedNode(f"{EX}entité/台積電")
    any_store.add_quads([quad(subject, ox.Literal("TSMC"), A)])
    assert any_store.select(f'SELECT ?s WHERE {{ ?s {P} "TSMC" }}') == [{"s": subject}]


def test_blank_nodes_keep_their_identity(any_store: Store) -> None:
    node = ox.BlankNode()
    any_store.add_quads([quad(node, ox.Literal("anonymous"), A), ox.Quad(S, Q, node, A)])
    rows = any_store.select(f'SELECT ?b WHERE {{ {S} {Q} ?b . ?b {P} "anonymous" }}')
    assert len(rows) == 1 and isinstance(rows[0]["b"], ox.BlankNode)
    # The same node in the named graph and in the merge: a join across both finds it.
    rows = any_store.select(f'SELECT ?b WHERE {{ GRAPH {A} {{ {S} {Q} ?b }} ?b {P} "anonymous" }}')
    assert len(rows) == 1
    assert any_store.triple_count() == 2
    quads = any_store.quads(A.value)
    subjects = {q.subject for q in quads if q.predicate == P}
    objects = {q.object for q in quads if q.predicate == Q}
    assert subjects == objects and all(isinstance(term, ox.BlankNode) for term in subjects)


def test_syntax_errors(any_store: Store) -> None:
    with pytest.raises(QuerySyntaxError):
        any_store.query("SELEC ?s WHERE { ?s ?p ?o }")
    with pytest.raises(QuerySyntaxError):
        any_store.update(f"INSERT DATA {{ GRAPH {A} {{ {S} {P} }} }}")
    assert any_store.quad_count() == 0


def test_a_failing_operation_writes_nothing(any_store: Store) -> None:
    """CREATE of a graph that exists fails on both stores, with nothing written."""
    any_store.add_quads([quad(S, ox.Literal("x"), A)])
    with pytest.raises(StoreError):
        any_store.update(f"CREATE GRAPH {A}")
    assert set(any_store.all_quads()) == {quad(S, ox.Literal("x"), A)}
    assert any_store.triple_count() == 1


def test_a_request_that_fails_part_way(any_store: Store) -> None:
    """The second operation fails: the embedded store rolls the request back; Virtuoso keeps the first.

    Found on Virtuoso 7.2.5 (docs/adr/0018): each operation of a request is committed on its own;
    ``atomic_updates`` says so, and the rest of chipgraph must not count on one request being one
    transaction there.
    """
    any_store.add_quads([quad(S, ox.Literal("x"), A)])
    first = union.insert_data(B, f'{S2} {P} "first" .', mirror=any_store.mirror_graph)
    with pytest.raises(StoreError):
        any_store.update(f"{first} ;\nCREATE GRAPH {A}")
    if any_store.atomic_updates:
        assert any_store.named_graphs() == [A.value]
        assert any_store.triple_count() == 1
    else:
        assert any_store.named_graphs() == [A.value, B.value]
        assert any_store.triple_count() == 2


def test_the_stores_state_what_they_guarantee() -> None:
    assert OxigraphStore.atomic_updates is True and OxigraphStore.mirror_graph is None
    assert RemoteStore.atomic_updates is False


def test_quads_matching_and_has_quads(any_store: Store) -> None:
    assert isinstance(any_store, OxigraphStore | RemoteStore)
    any_store.add_quads([quad(S, ox.Literal("one"), A), quad(S2, ox.Literal("two"), A), ox.Quad(S, Q, S2, B)])
    assert set(any_store.quads_matching(S, None, None, A)) == {quad(S, ox.Literal("one"), A)}
    assert set(any_store.quads_matching(None, P, None, A)) == {
        quad(S, ox.Literal("one"), A),
        quad(S2, ox.Literal("two"), A),
    }
    assert any_store.quads_matching(None, None, S2, B) == [ox.Quad(S, Q, S2, B)]
    assert any_store.quads_matching(S, Q, None, A) == []
    assert any_store.has_quads(None, Q, S2, B) and not any_store.has_quads(S2, None, None, B)


def test_an_integral_decimal_keeps_its_datatype_through_a_template(any_store: Store) -> None:
    """Virtuoso 7.2 reads "400"^^xsd:decimal in an INSERT template as the integer 400; the store writes 400.0."""
    node = ox.BlankNode()  # quads with a blank node are sent as an INSERT template (kg/store/remote.py)
    area = ox.Literal("400", datatype=ox.NamedNode(f"{XSD}decimal"))
    any_store.add_quads([quad(node, area, A)])
    (back,) = any_store.quads(A.value)
    assert back.object == area


def test_apply_removes_and_adds_in_one_operation_where_its_condition_holds(remote: RemoteStore) -> None:
    """RemoteStore.apply, the one write of a merge on a server (kg/gate/replay.py)."""
    old, new = quad(S, ox.Literal("old"), A), quad(S, ox.Literal("new"), A)
    mirror = ox.Quad(S, P, ox.Literal("old"), ox.DefaultGraph())
    remote.add_quads([old])
    remote.apply([old, mirror], [new, ox.Quad(S, P, ox.Literal("new"), ox.DefaultGraph())], "FILTER(1 = 2)")
    assert remote.quads(A.value) == [old]  # the condition has no solution: nothing written
    remote.apply([old, mirror], [new, ox.Quad(S, P, ox.Literal("new"), ox.DefaultGraph())], "")
    assert remote.quads(A.value) == [new]
    assert remote.triples(None) == [new.triple]  # the default graph's quads went to the mirror
    with pytest.raises(ValueError, match="blank node"):
        remote.apply([], [quad(ox.BlankNode(), ox.Literal("x"), A)], "")
    assert remote.quads(A.value) == [new]


def test_the_write_lock_is_reentrant_in_its_thread(any_store: Store) -> None:
    with any_store.writing(), any_store.writing():
        any_store.add_quads([quad(S, ox.Literal("locked"), A)])
    assert any_store.triple_count() == 1


def test_apply_removes_literals_of_any_datatype_from_several_graphs(remote: RemoteStore) -> None:
    """Virtuoso 7.2 keeps an xsd:anyURI (or a custom-typed) literal named in a DELETE template of several GRAPH
    blocks: apply removes such literals by their text and datatype (kg/store/remote_terms.py: removed_by_text)."""
    literals = [
        ox.Literal("https://example.org/g", datatype=ox.NamedNode(f"{XSD}anyURI")),
        ox.Literal("abc", datatype=ox.NamedNode(f"{EX}datatype")),
        ox.Literal("9.308885754583921", datatype=ox.NamedNode(f"{XSD}decimal")),
        ox.Literal("plain"),
        ox.Literal("2024", datatype=ox.NamedNode(f"{XSD}gYear")),
    ]
    quads = [quad(S, literal, graph) for literal in literals for graph in (A, B)]
    remote.add_quads(quads)
    held = remote.all_quads()  # as the server holds them (the form a merge removes)
    assert len(held) == len(quads)
    added = [quad(S2, literals[0], A), quad(S2, literals[2], B)]
    remote.apply(held, added, "FILTER(1 = 2)")
    assert len(remote.all_quads()) == len(quads)  # the condition has no solution: nothing removed, nothing added
    remote.apply(held, added, "")
    assert sorted(map(str, remote.all_quads())) == sorted(map(str, added))
