"""Conditional items: shown only when an earlier answer meets the condition."""

from __future__ import annotations

import pytest

from assessments import document
from tests.assessments.conftest import small_document


@pytest.fixture
def doc() -> dict:
    return document.parse(small_document())


def condition(_doc: object, **changes) -> dict:
    raw = small_document()
    raw["items"][3]["enable_when"] = changes
    return document.parse(raw)


def test_a_question_is_hidden_until_its_condition_holds(doc):
    assert "harm" not in document.enabled_keys(doc, {})
    assert "harm" not in document.enabled_keys(doc, {"low": "0"})
    assert "harm" in document.enabled_keys(doc, {"low": "1"})
    assert "harm" in document.enabled_keys(doc, {"low": 3})


def test_an_answer_to_a_hidden_question_is_not_scored(doc):
    result = document.result_as_json(document.score_document(doc, {"low": "0", "calm": "3", "harm": "3"}))
    assert result["risk_flags"] == []
    assert result["scales"]["total"]["value"] == 0  # 'harm' hidden: not applicable, so its answer counts for nothing
    assert result["scales"]["total"]["not_applicable"] == ["harm"]
    shown = document.result_as_json(document.score_document(doc, {"low": "1", "calm": "3", "harm": "3"}))
    assert shown["risk_flags"][0]["item"] == "harm"


@pytest.mark.parametrize(
    ("operator", "answer", "given", "shown"),
    [
        ("=", "2", "2", True),
        ("=", "2", "1", False),
        ("!=", "2", "1", True),
        ("<", 2, "1", True),
        ("<", 2, "3", False),
        ("<=", "2", "2", True),
        (">", 0, "0", False),
        ("exists", True, "0", True),
        ("exists", False, None, True),
        ("exists", True, None, False),
    ],
)
def test_each_operator(operator, answer, given, shown):
    doc = condition(None, behavior="all", conditions=[{"item": "low", "operator": operator, "answer": answer}])
    answers = {} if given is None else {"low": given}
    assert ("harm" in document.enabled_keys(doc, answers)) is shown


def test_any_needs_one_condition_and_all_needs_every_one():
    conditions = [
        {"item": "low", "operator": ">=", "answer": 2},
        {"item": "calm", "operator": "=", "answer": "0"},
    ]
    any_doc = condition(None, behavior="any", conditions=conditions)
    all_doc = condition(None, behavior="all", conditions=conditions)
    answers = {"low": "3", "calm": "1"}
    assert "harm" in document.enabled_keys(any_doc, answers)
    assert "harm" not in document.enabled_keys(all_doc, answers)
    assert "harm" in document.enabled_keys(all_doc, {"low": "3", "calm": "0"})


def test_a_chain_of_conditions_hides_the_dependants_of_a_hidden_item():
    raw = small_document()
    raw["items"].insert(
        4,
        {
            "key": "harm-detail",
            "type": "text",
            "text": "Tell us more",
            "enable_when": {"conditions": [{"item": "harm", "operator": "exists", "answer": True}]},
        },
    )
    doc = document.parse(raw)
    assert "harm-detail" in document.enabled_keys(doc, {"low": "2", "harm": "1"})
    assert "harm-detail" not in document.enabled_keys(doc, {"low": "0", "harm": "1"})
