"""The answer checkers themselves: a wrong answer or a missing source is caught, so a pass means something."""

from __future__ import annotations

import pytest

from tests.competency.loader import Answer, Question, answer_problem, compare_sets, source_problem, within

EPOCH = {"url": "https://epoch.ai/data/machine-learning-hardware", "citation": None, "title": "ML Hardware"}


def question(**fields: object) -> Question:
    """A question with defaults for the fields a checker does not read."""
    base: dict[str, object] = {"id": "q", "category": "look-up", "persona": "analyst", "question": "?"}
    return Question(**{**base, "kind": "fact", "source": "epoch.ai", "get": "/x", **fields})


@pytest.mark.parametrize(
    ("found", "expected", "match", "ok"),
    [
        ({"a", "b"}, {"a", "b"}, "equal", True),
        ({"a", "b", "c"}, {"a", "b"}, "equal", False),
        ({"a", "b", "c"}, {"a", "b"}, "contains", True),
        ({"a"}, {"a", "b"}, "contains", False),
        ({"a"}, {"b"}, "excludes", True),
        ({"a", "b"}, {"b"}, "excludes", False),
    ],
)
def test_sets_are_compared_by_match(found: set[str], expected: set[str], match: str, ok: bool) -> None:
    assert (compare_sets(found, expected, match) is None) is ok


def test_numbers_within_a_relative_tolerance() -> None:
    assert within(4992.0, 4992, 0.005) and within(2.909, 2.9, 0.01)
    assert not within(3008.0, 6016, 0.005)
    problem = answer_problem(question(kind="number", expected=6016), Answer([3008.0]))
    assert problem is not None and "6016" in problem


def test_a_verdict_needs_the_act_behind_it() -> None:
    asked = question(kind="verdict", expected="licence-required", rule="2023-23055")
    assert answer_problem(asked, Answer({"verdict": "licence-required", "acts": ["act/x FR Doc. 2023-23055"]})) is None
    assert answer_problem(asked, Answer({"verdict": "licence-required", "acts": ["act/y 87 FR 62186"]})) is not None
    assert answer_problem(asked, Answer({"verdict": "not-required", "acts": []})) is not None


def test_rows_compare_as_tuples_of_text() -> None:
    asked = question(kind="rows", columns=("share",), expected=[["65"]], sparql="SELECT", get=None)
    assert answer_problem(asked, Answer({("65",)})) is None
    assert answer_problem(asked, Answer({("64",)})) is not None


def test_the_answer_must_name_the_source() -> None:
    assert source_problem(question(), Answer(set(), [EPOCH])) is None
    assert source_problem(question(source="https://www.federalregister.gov/d/2023-23055"), Answer(set(), [EPOCH]))
    assert source_problem(question(), Answer(set(), [])) is not None
    matched = question(source="https://www.federalregister.gov/d/2023-23055", source_match="2023-23055")
    assert source_problem(matched, Answer(set(), [{"citation": "FR Doc. 2023-23055"}])) is None
