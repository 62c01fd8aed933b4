"""The look-up helpers behind the REST resources, on the real built graph."""

from __future__ import annotations

from kg import catalog
from kg.store import OxigraphStore, term_text

CHIP = "https://w3id.org/chipgraph/ontology#Chip"


def test_export_control_chips_are_exactly_those_with_export_control_facts(store: OxigraphStore) -> None:
    chips = {term_text(row["c"]) for row in store.select(f"SELECT DISTINCT ?c WHERE {{ ?c a <{CHIP}> }}")}
    with_facts = {chip for chip in chips if catalog.export_control(store, chip)}
    assert with_facts == catalog.export_control_chips(store) & chips
    assert "https://w3id.org/chipgraph/id/chip/nvidia-h20" in with_facts  # licence requirement
    assert "https://w3id.org/chipgraph/id/chip/huawei-ascend-910b" in with_facts  # designer listed


def test_facts_name_linked_entities_with_or_without_a_label_index(store: OxigraphStore) -> None:
    iri = "https://w3id.org/chipgraph/id/chip/nvidia-h20"
    alone = catalog.facts(store, iri)
    shared = catalog.facts(store, iri, labels=catalog.label_index(store))
    assert alone == shared
    designers = [value["ref"] for value in alone["facts"]["cg:designedBy"]]
    assert designers == [{"id": "organization/nvidia", "label": "Nvidia"}]
