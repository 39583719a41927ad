"""Items hidden by their conditions are not applicable, not missing: they leave their scales' denominators."""

from __future__ import annotations

import copy
from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assessments import document
from tests.assessments.conftest import FREQUENCY, small_document


def scored(raw: dict, answers: dict) -> dict:
    return document.result_as_json(document.score_document(document.parse(raw), answers))


# The small test instrument: 'harm' is asked only when 'low' is at least "Several days".


def test_answering_low_zero_hides_harm_and_the_total_is_still_scored() -> None:
    result = scored(small_document(), {"low": "0", "calm": "2"})

    total = result["scales"]["total"]
    assert total["value"] == 1  # low 0, calm reverse-keyed 3 - 2 = 1, harm does not apply
    assert total["band"] == "Low"
    assert total["reason"] is None
    assert total["missing"] == [] and total["not_applicable"] == ["harm"]
    assert result["unanswered_risk_items"] == []


def test_a_stale_answer_to_a_hidden_item_counts_for_nothing() -> None:
    result = scored(small_document(), {"low": "0", "calm": "2", "harm": "3"})

    assert result["scales"]["total"]["value"] == 1
    assert result["risk_flags"] == []


def test_a_shown_item_left_blank_is_still_missing() -> None:
    result = scored(small_document(), {"low": "1", "calm": "2"})

    total = result["scales"]["total"]
    assert total["value"] is None
    assert total["missing"] == ["harm"] and total["not_applicable"] == []
    assert total["reason"] == "1 of 3 items unanswered; Total allows at most 0 missing."
    assert result["unanswered_risk_items"] == ["harm"]


def test_an_applicable_item_left_blank_still_leaves_the_scale_unscored() -> None:
    total = scored(small_document(), {"low": "0"})["scales"]["total"]

    assert total["value"] is None
    assert total["missing"] == ["calm"] and total["not_applicable"] == ["harm"]
    assert total["reason"] == "1 of 2 applicable items unanswered; Total allows at most 0 missing."


def test_prorating_counts_only_the_items_that_apply() -> None:
    raw = four_items(max_missing=1, conditions={"d": ("a", ">=", 1)})
    # 'd' hidden (a = 0), 'c' missing: the mean of a and b (0 and 3) stands in for c, over three items.
    total = scored(raw, {"a": 0, "b": 3})["scales"]["total"]

    assert total["value"] == 4.5
    assert total["prorated"] is True
    assert total["missing"] == ["c"] and total["not_applicable"] == ["d"]


def test_a_mean_scale_averages_only_the_items_that_apply() -> None:
    raw = four_items(method="mean", conditions={"c": ("a", ">=", 1), "d": ("a", ">=", 1)})

    assert scored(raw, {"a": 0, "b": 3})["scales"]["total"]["value"] == 1.5


def test_a_scale_whose_items_all_do_not_apply_is_unscored_with_a_reason() -> None:
    raw = four_items(conditions={"b": ("a", ">=", 2), "c": ("a", ">=", 2), "d": ("a", ">=", 2)})
    raw["scales"].append({"key": "rest", "label": "Rest", "items": ["b", "c", "d"]})

    result = scored(raw, {"a": 1})

    assert result["scales"]["total"]["value"] == 1
    assert result["scales"]["rest"]["value"] is None
    assert result["scales"]["rest"]["reason"] == "No item of Rest applies to these answers."


def test_a_sum_below_the_full_range_because_items_did_not_apply_has_no_band() -> None:
    raw = four_items(conditions={"d": ("a", ">=", 2)})
    for option in raw["answer_scales"][0]["options"]:
        option["value"] += 1  # 1 to 4: the full range is 4 to 16
    raw["scales"][0]["bands"] = [
        {"low": 4, "high": 9, "label": "Low"},
        {"low": 10, "high": 16, "label": "High"},
    ]

    total = scored(raw, {"a": "0", "b": "0", "c": "0"})["scales"]["total"]

    assert total["value"] == 3
    assert total["band"] is None


# Properties, for random conditions and answers.

KEYS = ("a", "b", "c", "d", "e")


def four_items(*, count: int = 4, max_missing: int = 0, method: str = "sum", conditions: dict | None = None) -> dict:
    """Items a.. scored 0-3 in one total; ``conditions`` maps a key to (earlier key, operator, answer)."""
    items = []
    for key in KEYS[:count]:
        item: dict = {"key": key, "type": "single_choice", "text": f"Item {key}", "answer_scale": "f"}
        if conditions and key in conditions:
            target, operator, answer = conditions[key]
            item["enable_when"] = {"conditions": [{"item": target, "operator": operator, "answer": answer}]}
        items.append(item)
    return {
        "format": document.FORMAT,
        "slug": "conditional",
        "title": "Conditional",
        "answer_scales": [{"key": "f", "label": "How often", "options": copy.deepcopy(FREQUENCY)}],
        "items": items,
        "scales": [
            {
                "key": "total",
                "label": "Total",
                "total": True,
                "items": list(KEYS[:count]),
                "method": method,
                "max_missing": max_missing,
            }
        ],
        "risk_items": [{"item": KEYS[count - 1], "threshold": 2}],
    }


@st.composite
def conditional_documents(draw: st.DrawFn) -> dict:
    count = draw(st.integers(2, 5))
    conditions = {}
    for position in range(1, count):
        if draw(st.booleans()):
            target = KEYS[draw(st.integers(0, position - 1))]
            operator = draw(st.sampled_from([">=", "<", "=", "!=", "exists"]))
            answer = draw(st.booleans()) if operator == "exists" else draw(st.integers(0, 3))
            conditions[KEYS[position]] = (target, operator, answer)
    return four_items(
        count=count,
        max_missing=draw(st.integers(0, count - 1)),
        method=draw(st.sampled_from(["sum", "mean"])),
        conditions=conditions,
    )


answer_sets = st.fixed_dictionaries({}, optional={key: st.none() | st.integers(0, 3) for key in KEYS})


def answers_for(raw: dict, answers: dict) -> dict:
    keys = {item["key"] for item in raw["items"]}
    return {key: value for key, value in answers.items() if key in keys}


def expected_value(raw: dict, doc: dict, answers: dict) -> float | None:
    """The score worked out from the definition: applicable items only, prorated over their own number."""
    scale = raw["scales"][0]
    shown = document.enabled_keys(doc, answers)
    applicable = [key for key in scale["items"] if key in shown]
    answered = [answers[key] for key in applicable if answers.get(key) is not None]
    if not answered or len(applicable) - len(answered) > scale["max_missing"]:
        return None
    if scale["method"] == "mean":
        exact = Decimal(sum(answered)) / Decimal(len(answered))
    elif len(answered) == len(applicable):
        return sum(answered)
    else:
        exact = Decimal(sum(answered) * len(applicable)) / Decimal(len(answered))
    return float(exact.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


@settings(max_examples=300, deadline=None)
@given(conditional_documents(), answer_sets)
def test_a_scale_is_scored_over_the_items_that_apply(raw: dict, answers: dict) -> None:
    answers = answers_for(raw, answers)
    doc = document.parse(raw)

    total = document.result_as_json(document.score_document(doc, answers))["scales"]["total"]

    assert total["value"] == expected_value(raw, doc, answers)
    shown = document.enabled_keys(doc, answers)
    assert set(total["not_applicable"]) == {key for key in raw["scales"][0]["items"] if key not in shown}
    assert not set(total["missing"]) & set(total["not_applicable"])


@settings(max_examples=300, deadline=None)
@given(conditional_documents(), answer_sets, answer_sets)
def test_answers_to_hidden_items_never_change_a_score(raw: dict, answers: dict, others: dict) -> None:
    answers = answers_for(raw, answers)
    doc = document.parse(raw)
    shown = document.enabled_keys(doc, answers)
    # Change only what hidden items hold; what is shown stays the same, since conditions look back only.
    changed = {**answers, **{key: value for key, value in answers_for(raw, others).items() if key not in shown}}
    assert document.enabled_keys(doc, changed) == shown

    assert document.result_as_json(document.score_document(doc, changed)) == document.result_as_json(
        document.score_document(doc, answers)
    )


@settings(max_examples=300, deadline=None)
@given(conditional_documents(), answer_sets)
def test_a_scale_never_goes_unscored_only_because_a_hidden_item_is_unanswered(raw: dict, answers: dict) -> None:
    answers = answers_for(raw, answers)
    doc = document.parse(raw)
    shown = document.enabled_keys(doc, answers)
    applicable_answered = all(answers.get(key) is not None for key in raw["scales"][0]["items"] if key in shown)

    result = document.result_as_json(document.score_document(doc, answers))

    if applicable_answered and shown & set(raw["scales"][0]["items"]):
        assert result["scales"]["total"]["value"] is not None
        assert result["scales"]["total"]["prorated"] is False
    risk_key = raw["risk_items"][0]["item"]
    assert (risk_key in result["unanswered_risk_items"]) == (risk_key in shown and answers.get(risk_key) is None)


@pytest.mark.parametrize("low", ["0", "1", "2", "3"])
def test_the_small_instrument_is_always_scored_once_every_shown_item_is_answered(low: str) -> None:
    answers = {"low": low, "calm": "1"}
    if low != "0":
        answers["harm"] = "0"

    assert scored(small_document(), answers)["scales"]["total"]["value"] is not None
