"""The competency questions of issue 2, each a named query with its expected answer."""

from __future__ import annotations

import pytest

from kg.queries import UnknownQueryError, named_queries, named_query
from kg.store import OxigraphStore
from tests.conftest import texts

ID = "https://w3id.org/chipgraph/id/"


def run(store: OxigraphStore, name: str) -> list:
    return store.select(named_query(name).bind())


def test_foundries_of_huawei_chips(store: OxigraphStore) -> None:
    rows = run(store, "huawei-foundries")
    # Epoch lists nine Huawei chips at SMIC (Ascend 910B and its variants, 910C, 920), one at TSMC.
    assert texts(rows, "foundryLabel", "chips") == {("SMIC", "9"), ("TSMC", "1")}


def test_chips_designed_in_china_made_by_a_taiwan_foundry(store: OxigraphStore) -> None:
    rows = run(store, "china-designed-taiwan-made")
    assert texts(rows, "chipLabel", "designerLabel", "foundryLabel") == {("Huawei Ascend 910C", "Huawei", "TSMC")}


def test_base_products_of_nvidia_china_variants(store: OxigraphStore) -> None:
    rows = run(store, "nvidia-china-variants")
    assert texts(rows, "variant", "base") == {
        (f"{ID}chip/nvidia-a800-sxm", f"{ID}chip/nvidia-a100-sxm4-80gb"),
        (f"{ID}chip/nvidia-h800-sxm5", f"{ID}chip/nvidia-h100-sxm5"),
        (f"{ID}chip/nvidia-h20", f"{ID}chip/nvidia-h100-sxm5"),
    }


def test_chinese_designers_on_the_entity_list(store: OxigraphStore) -> None:
    rows = run(store, "chinese-designers-on-entity-list")
    assert texts(rows, "designerLabel", "since") == {
        ("Huawei", "2019-05-16"),
        ("HiSilicon", "2019-05-16"),
        ("Phytium", "2021-04-08"),
        ("Sunway Microelectronics", "2021-04-08"),
        ("Cambricon", "2022-12-16"),
        ("Biren", "2023-10-17"),
        ("Moore Threads", "2023-10-17"),
        ("Sophgo", "2025-01-16"),  # the effective date of FR Doc. 2025-00480, not the announcement of the 15th
    }
    biren = next(row for row in rows if row["designerLabel"].value == "Biren")
    assert "88 FR 71991" in biren["citations"].value


def test_chips_covered_by_the_april_2025_licence_requirement(store: OxigraphStore) -> None:
    rows = run(store, "april-2025-licence-chips")
    assert texts(rows, "chipLabel", "designerLabel", "from") == {
        ("NVIDIA HGX H20", "Nvidia", "2025-04-09"),
        ("AMD Instinct MI308X", "AMD", "2025-04-09"),
    }


def test_every_named_query_states_its_question_and_runs(store: OxigraphStore) -> None:
    queries = named_queries()
    assert len(queries) >= 5
    for name, query in queries.items():
        assert query.question.endswith("?"), name
        assert store.select(query.bind()), name


@pytest.mark.parametrize("name", ["", "no-such-query", "../build"])
def test_unknown_named_query_is_refused(name: str) -> None:
    with pytest.raises(UnknownQueryError, match="no named query"):
        named_query(name)
