"""The competency suite: every question of questions.toml asked through the real HTTP API of a real build.

A question marked ``known_gap`` must still fail (strict xfail): when the data answers it, the test
fails until the mark is removed.
"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.competency.loader import CATEGORIES, Question, check, load

QUESTIONS = load()


def cases() -> list[object]:
    """One pytest parameter per question, known gaps marked strict xfail with their reason."""
    return [
        pytest.param(
            question,
            id=question.id,
            marks=[pytest.mark.xfail(strict=True, reason=question.known_gap)] if question.known_gap else [],
        )
        for question in QUESTIONS
    ]


@pytest.mark.parametrize("question", cases())
def test_question(competency_client: TestClient, question: Question) -> None:
    check(competency_client, question)


def test_the_suite_is_broad() -> None:
    """At least 120 questions, every category asked, and most of them answered today."""
    assert len(QUESTIONS) >= 120
    assert {question.category for question in QUESTIONS} == set(CATEGORIES)
