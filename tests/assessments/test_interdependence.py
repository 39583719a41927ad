"""Interdependence in Relationships: the document is valid, publishable and scores as worked out by hand."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import assessments
from assessments import document

PATH = Path(assessments.__file__).resolve().parent / "data" / "interdependence-in-relationships-1.0.json"
SUBSCALES = ("self", "connection", "balance")


@pytest.fixture(scope="module")
def raw() -> dict:
    return json.loads(PATH.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def doc(raw: dict) -> dict:
    return document.parse(raw)


def questions(doc: dict) -> list[dict]:
    return [item for item in doc["items"] if item["type"] == "single_choice"]


def scales(doc: dict) -> dict[str, dict]:
    return {scale["key"]: scale for scale in doc["scales"]}


def score(doc: dict, answers: dict[str, object]) -> dict:
    return document.result_as_json(document.score_document(doc, answers))


# A concrete response, written out item by item. Reverse-keyed items (marked R) count as 6 - answer.
HAND_ANSWERS = {
    # self: 4, R2->4, 3, R4->2, 5, 4, R1->5, 3, 2 = 32; 32 / 9 = 3.555... -> 3.56
    "ir01": "4",
    "ir02": "2",
    "ir03": "3",
    "ir04": "4",
    "ir05": "5",
    "ir06": "4",
    "ir07": "1",
    "ir08": "3",
    "ir09": "2",
    # connection: 2, 3, R4->2, 3, 4, R3->3, 2, R5->1, 5 = 25; 25 / 9 = 2.777... -> 2.78
    "ir10": "2",
    "ir11": "3",
    "ir12": "4",
    "ir13": "3",
    "ir14": "4",
    "ir15": "3",
    "ir16": "2",
    "ir17": "5",
    "ir18": "5",
    # balance: 2, 1, R4->2, 2, R5->1, 3, 2, R4->2, 3 = 18; 18 / 9 = 2.00
    "ir19": "2",
    "ir20": "1",
    "ir21": "4",
    "ir22": "2",
    "ir23": "5",
    "ir24": "3",
    "ir25": "2",
    "ir26": "4",
    "ir27": "3",
    # total: (32 + 25 + 18) / 27 = 75 / 27 = 2.777... -> 2.78
}


def test_the_file_is_already_in_canonical_form(raw: dict, doc: dict) -> None:
    assert raw["format"] == "tandem-instrument/1"
    assert document.exported(doc) == raw
    assert document.parse(document.exported(doc)) == doc


def test_identity_and_texts(doc: dict) -> None:
    assert doc["slug"] == "interdependence-in-relationships"
    assert doc["version"] == "1.0"
    assert doc["title"].strip()
    assert "not a validated diagnostic" in doc["description"]
    assert "not norms" in doc["description"]
    assert doc["instructions"].startswith("Think about the last two weeks")
    assert "no right or wrong answers" in doc["instructions"]
    assert "Tandem" in doc["copyright"]
    assert "Free to use" in doc["copyright"]


def test_band_problems_is_empty(doc: dict) -> None:
    assert document.band_problems(doc) == []


def test_agreement_scale(doc: dict) -> None:
    (answer_scale,) = doc["answer_scales"]
    assert answer_scale["key"] == "agreement-5"
    assert [(o["code"], o["value"], o["label"]) for o in answer_scale["options"]] == [
        ("1", 1, "Strongly disagree"),
        ("2", 2, "Disagree"),
        ("3", 3, "Neither agree nor disagree"),
        ("4", 4, "Agree"),
        ("5", 5, "Strongly agree"),
    ]


def test_items_are_required_agreement_questions_in_sections(doc: dict) -> None:
    items = questions(doc)
    assert len(items) >= 24
    assert {item["type"] for item in doc["items"]} == {"section", "display", "single_choice"}
    assert 3 <= sum(item["type"] == "section" for item in doc["items"]) <= 5
    assert doc["items"][0]["type"] == "section"
    for item in items:
        assert item["key"].startswith("ir")
        assert item["required"] is True
        assert item["answer_scale"] == "agreement-5"
        assert item["options"] == []
        assert item["enable_when"] is None
        assert item["text"].startswith(("I ", "I'", "How I", "My partner", "We ", "When ", "After "))
    assert doc["risk_items"] == []


def test_about_a_third_are_reverse_keyed(doc: dict) -> None:
    items = questions(doc)
    share = sum(item["reverse_keyed"] for item in items) / len(items)
    assert 0.25 <= share <= 0.45


def test_every_subscale_mixes_both_directions(doc: dict) -> None:
    reverse = {item["key"]: item["reverse_keyed"] for item in questions(doc)}
    for key in SUBSCALES:
        flags = [reverse[member] for member in scales(doc)[key]["items"]]
        assert any(flags)
        assert not all(flags)


def test_three_subscales_and_one_total(doc: dict) -> None:
    by_key = scales(doc)
    assert set(by_key) == {*SUBSCALES, "total"}
    assert [key for key, scale in by_key.items() if scale["total"]] == ["total"]
    for key, scale in by_key.items():
        assert scale["method"] == "mean"
        assert scale["higher_is_worse"] is False
        assert scale["clinical_cutoff"] is None
        assert scale["reference_sd"] is None
        assert scale["reliability"] is None
        assert scale["max_missing"] == (2 if key == "total" else 1)
        assert [(b["low"], b["high"], b["label"], b["severity"]) for b in scale["bands"]] == [
            (1.0, 2.49, "Leaning codependent", 2),
            (2.5, 3.49, "Mixed", 1),
            (3.5, 5.0, "Leaning interdependent", 0),
        ]
        assert all(band["meaning"].strip() for band in scale["bands"])
    for key in SUBSCALES:
        assert len(by_key[key]["items"]) >= 6


def test_every_item_is_in_exactly_one_subscale_and_in_the_total(doc: dict) -> None:
    keys = [item["key"] for item in questions(doc)]
    by_key = scales(doc)
    placed = [member for key in SUBSCALES for member in by_key[key]["items"]]
    assert sorted(placed) == sorted(keys)
    assert len(placed) == len(set(placed))
    assert sorted(by_key["total"]["items"]) == sorted(keys)


def test_hand_computed_scores(doc: dict) -> None:
    result = score(doc, HAND_ANSWERS)["scales"]
    assert result["self"]["value"] == 3.56
    assert result["self"]["band"] == "Leaning interdependent"
    assert result["connection"]["value"] == 2.78
    assert result["connection"]["band"] == "Mixed"
    assert result["balance"]["value"] == 2.0
    assert result["balance"]["band"] == "Leaning codependent"
    assert result["balance"]["severity"] == 2
    assert result["total"]["value"] == 2.78
    assert result["total"]["band"] == "Mixed"
    for key in (*SUBSCALES, "total"):
        assert result[key]["prorated"] is False
        assert result[key]["missing"] == []


def test_answers_may_be_given_as_numbers(doc: dict) -> None:
    as_numbers = {key: int(code) for key, code in HAND_ANSWERS.items()}
    assert score(doc, as_numbers) == score(doc, HAND_ANSWERS)


def test_strongly_agree_to_everything_is_not_the_top_score(doc: dict) -> None:
    answers = {item["key"]: "5" for item in questions(doc)}
    result = score(doc, answers)["scales"]
    # Each subscale: 6 items at 5 and 3 reverse-keyed at 6 - 5 = 1, so (30 + 3) / 9 = 3.666... -> 3.67.
    # Total: (18 * 5 + 9 * 1) / 27 = 99 / 27 -> 3.67.
    for key in (*SUBSCALES, "total"):
        assert result[key]["value"] != 5.0
        assert result[key]["value"] == 3.67


def test_maximally_interdependent_answers_score_five_everywhere(doc: dict) -> None:
    answers = {item["key"]: "1" if item["reverse_keyed"] else "5" for item in questions(doc)}
    result = score(doc, answers)["scales"]
    for key in (*SUBSCALES, "total"):
        assert result[key]["value"] == 5.0
        assert result[key]["band"] == "Leaning interdependent"
        assert result[key]["severity"] == 0


def test_maximally_codependent_answers_score_one_everywhere(doc: dict) -> None:
    answers = {item["key"]: "5" if item["reverse_keyed"] else "1" for item in questions(doc)}
    result = score(doc, answers)["scales"]
    for key in (*SUBSCALES, "total"):
        assert result[key]["value"] == 1.0
        assert result[key]["band"] == "Leaning codependent"
        assert result[key]["severity"] == 2


def test_one_missing_answer_is_prorated(doc: dict) -> None:
    answers = {key: code for key, code in HAND_ANSWERS.items() if key != "ir05"}
    result = score(doc, answers)["scales"]
    # self without ir05 (which gave 5): 27 / 8 = 3.375 -> 3.38 (rounded half up).
    assert result["self"]["value"] == 3.38
    assert result["self"]["band"] == "Mixed"  # was 3.56, Leaning interdependent, with ir05 answered
    assert result["self"]["prorated"] is True
    assert result["self"]["answered"] == 8
    assert result["self"]["missing"] == ["ir05"]
    # total without ir05: 70 / 26 = 2.6923... -> 2.69.
    assert result["total"]["value"] == 2.69
    assert result["total"]["prorated"] is True
    # The other subscales are untouched.
    assert result["connection"]["value"] == 2.78
    assert result["connection"]["prorated"] is False
    assert result["balance"]["value"] == 2.0


def test_a_skipped_answer_given_as_empty_counts_as_missing(doc: dict) -> None:
    answers = {**HAND_ANSWERS, "ir05": None}
    assert score(doc, answers)["scales"]["self"]["value"] == 3.38


def test_too_many_missing_answers_leave_a_scale_unscored(doc: dict) -> None:
    two_gone = {key: code for key, code in HAND_ANSWERS.items() if key not in ("ir05", "ir06")}
    result = score(doc, two_gone)["scales"]
    assert result["self"]["value"] is None
    assert result["self"]["band"] is None
    assert result["self"]["reason"]
    # total still scored with two missing: (75 - 5 - 4) / 25 = 66 / 25 = 2.64.
    assert result["total"]["value"] == 2.64
    assert result["total"]["band"] == "Mixed"

    three_gone = {key: code for key, code in two_gone.items() if key != "ir10"}
    result = score(doc, three_gone)["scales"]
    assert result["total"]["value"] is None
    assert result["self"]["value"] is None
    # connection without ir10 (which gave 2): 23 / 8 = 2.875 -> 2.88.
    assert result["connection"]["value"] == 2.88


def test_unknown_answers_are_refused(doc: dict) -> None:
    with pytest.raises(document.scoring.ScoringError):
        score(doc, {**HAND_ANSWERS, "ir01": "6"})
    with pytest.raises(document.scoring.ScoringError):
        score(doc, {**HAND_ANSWERS, "s1": "3"})
