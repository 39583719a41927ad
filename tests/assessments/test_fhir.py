"""FHIR R4: Questionnaires in every common encoding import and score as published; export and import agree."""

from __future__ import annotations

import copy
import json
from decimal import Decimal
from itertools import product
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assessments import document, fhir
from assessments.document import FORMAT, DocumentError
from assessments.scoring import ScoringError

FIXTURES = Path(__file__).resolve().parent / "fhir"
LOINC = "http://loinc.org"
LOINC_FREQUENCY = ("LA6568-5", "LA6569-3", "LA6570-1", "LA6571-9")  # Not at all .. Nearly every day = 0 .. 3
INTEGER_FREQUENCY = ("0", "1", "2", "3")
ENCODINGS = {
    "a-ordinal-on-option": LOINC_FREQUENCY,
    "b-weight-on-coding": LOINC_FREQUENCY,
    "c-contained-valueset": LOINC_FREQUENCY,
    "d-path-linkids-in-group": LOINC_FREQUENCY,
    "e-uuid-integer-options": INTEGER_FREQUENCY,
}
# Item levels in questionnaire order, and the total the published scoring (a plain sum of 0-3 per item) gives.
PHQ9_ANSWER_SETS = {
    "all-zero": ((0,) * 9, 0),
    "all-max": ((3,) * 9, 27),
    "mixed": ((1, 0, 2, 3, 1, 0, 2, 1, 1), 11),
    "mixed-self-harm": ((3, 3, 2, 2, 1, 1, 0, 0, 3), 15),
}
GAD7_ANSWER_SETS = {
    "all-zero": ((0,) * 7, 0),
    "all-max": ((3,) * 7, 21),
    "mixed": ((2, 1, 0, 3, 1, 2, 0), 9),
    "mixed-high": ((3, 2, 3, 2, 3, 2, 1), 16),
}
INSTRUMENTS = {"phq9": PHQ9_ANSWER_SETS, "gad7": GAD7_ANSWER_SETS}
CASES = [
    pytest.param(instrument, encoding, answer_set, id=f"{instrument}-{encoding[0]}-{answer_set}")
    for instrument, answer_sets in INSTRUMENTS.items()
    for encoding in ENCODINGS
    for answer_set in answer_sets
]
FILES = [
    pytest.param(instrument, encoding, id=f"{instrument}-{encoding}")
    for instrument in INSTRUMENTS
    for encoding in ENCODINGS
]


#: How the import report begins what a scored questionnaire the library does not know lacks.
LACKS = ("Scale 'total' needs bands", "No risk items are set")


def raw(instrument: str, encoding: str) -> dict:
    return json.loads((FIXTURES / f"{instrument}-{encoding}.json").read_text(encoding="utf-8"))


def imported(resource: object) -> tuple[dict, list[str]]:
    converted, warnings = fhir.questionnaire_to_document(resource)
    return document.parse(converted), warnings


def question_link_ids(resource: dict) -> list[str]:
    """The scored questions as the test document lists them (the PHQ-9 difficulty item is not scored)."""
    found: list[str] = []

    def walk(items: list[dict]) -> None:
        for item in items:
            if item["type"] == "choice" and item["linkId"] != "69722-7":
                found.append(item["linkId"])
            walk(item.get("item", []))

    walk(resource["item"])
    return found


def total(doc: dict, answers: dict[str, object]) -> float | None:
    return document.score_document(doc, answers).scale("total").value


def item(doc: dict, key: str) -> dict:
    return next(entry for entry in doc["items"] if entry["key"] == key)


def questionnaire(*items: dict, **fields: object) -> dict:
    return {"resourceType": "Questionnaire", "status": "active", "title": "Test", **fields, "item": list(items)}


def choice(link_id: str, weights: tuple | None = (0, 1, 2), **fields: object) -> dict:
    options = []
    for index, weight in enumerate(weights if weights is not None else (None, None, None)):
        option: dict = {
            "valueCoding": {"system": "http://example.org/cs", "code": f"c{index}", "display": f"C {index}"}
        }
        if weight is not None:
            option["extension"] = [{"url": fhir.ORDINAL_VALUE, "valueDecimal": weight}]
        options.append(option)
    return {"linkId": link_id, "text": f"Question {link_id}", "type": "choice", "answerOption": options, **fields}


# Each encoding scores as the published instrument.


@pytest.mark.parametrize(("instrument", "encoding", "answer_set"), CASES)
def test_each_encoding_scores_the_published_total(instrument: str, encoding: str, answer_set: str) -> None:
    resource = raw(instrument, encoding)
    doc, _ = imported(resource)
    levels, expected = INSTRUMENTS[instrument][answer_set]
    codes = ENCODINGS[encoding]
    answers = dict(zip(question_link_ids(resource), (codes[level] for level in levels), strict=True))

    result = document.score_document(doc, answers).scale("total")

    assert result.value == expected == sum(levels)
    assert result.missing == ()


@pytest.mark.parametrize(("instrument", "encoding"), FILES)
def test_each_encoding_totals_exactly_the_scored_questions(instrument: str, encoding: str) -> None:
    resource = raw(instrument, encoding)
    doc, _ = imported(resource)

    [scale] = doc["scales"]

    assert scale["key"] == "total" and scale["total"] is True and scale["method"] == "sum"
    assert scale["items"] == question_link_ids(resource)
    assert len(scale["items"]) == {"phq9": 9, "gad7": 7}[instrument]
    for key in scale["items"]:
        assert [option["value"] for option in item(doc, key)["_options"]] == [0, 1, 2, 3]


@pytest.mark.parametrize(("instrument", "encoding"), FILES)
def test_each_encoding_is_recognised_by_its_codes_or_names_what_it_lacks(instrument: str, encoding: str) -> None:
    doc, warnings = imported(raw(instrument, encoding))

    if encoding.startswith("e-"):  # UUID linkIds and no codes: nothing says which measure this is
        assert doc["scales"][0]["bands"] == []
        assert [warning.split(" ")[0:3] for warning in warnings] == [
            ["Scale", "'total'", "needs"],
            ["No", "risk", "items"],
        ]
        assert document.band_problems(doc), "publishing must still ask for bands"
    else:
        assert len(warnings) == 1 and warnings[0].startswith("Recognised as the")
        assert document.band_problems(doc) == []


@pytest.mark.parametrize("encoding", list(ENCODINGS))
def test_phq9_self_harm_item_is_kept_as_a_scored_question(encoding: str) -> None:
    resource = raw("phq9", encoding)
    doc, _ = imported(resource)
    self_harm = question_link_ids(resource)[8]

    assert "better off dead" in item(doc, self_harm)["text"]
    assert (
        total(
            doc,
            {**dict.fromkeys(question_link_ids(resource), ENCODINGS[encoding][0]), self_harm: ENCODINGS[encoding][3]},
        )
        == 3
    )


def test_answers_may_be_given_as_option_values() -> None:
    resource = raw("gad7", "a-ordinal-on-option")
    doc, _ = imported(resource)

    assert total(doc, dict(zip(question_link_ids(resource), (2, 1, 0, 3, 1, 2, 0), strict=True))) == 9


def test_loinc_options_keep_their_system_code_and_display() -> None:
    doc, _ = imported(raw("phq9", "c-contained-valueset"))

    assert item(doc, "44250-9")["_options"][2] == {
        "code": "LA6570-1",
        "label": "More than half the days",
        "value": 2,
        "system": LOINC,
    }


def test_codings_without_a_system_import_with_an_empty_system() -> None:
    doc, _ = imported(raw("gad7", "b-weight-on-coding"))

    assert {option["system"] for option in item(doc, "69725-0")["_options"]} == {""}


def test_unscored_difficulty_item_stays_out_of_the_total() -> None:
    doc, _ = imported(raw("phq9", "a-ordinal-on-option"))

    difficulty = item(doc, "69722-7")

    assert difficulty["type"] == "single_choice"
    assert [option["value"] for option in difficulty["_options"]] == [None] * 4
    assert "69722-7" not in doc["scales"][0]["items"]


@pytest.mark.parametrize(
    ("instrument", "encoding", "link_id", "label"),
    [
        ("phq9", "a-ordinal-on-option", "44261-6", "PHQ-9 total score"),
        ("gad7", "a-ordinal-on-option", "70274-6", "GAD-7 total score"),
        ("phq9", "d-path-linkids-in-group", "/44249-1/44261-6", "Total score"),
        ("phq9", "e-uuid-integer-options", None, "PHQ9 total"),
        ("gad7", "e-uuid-integer-options", None, "GAD7 total"),
    ],
)
def test_calculated_or_read_only_total_item_becomes_the_total_scale(
    instrument: str, encoding: str, link_id: str | None, label: str
) -> None:
    resource = raw(instrument, encoding)
    doc, _ = imported(resource)
    total_link_id = link_id or resource["item"][-1]["linkId"]

    assert total_link_id not in {entry["key"] for entry in doc["items"]}
    assert doc["scales"][0]["label"] == label


def test_path_linkids_stay_unchanged_and_their_group_becomes_a_section() -> None:
    doc, _ = imported(raw("phq9", "d-path-linkids-in-group"))

    assert [(entry["key"], entry["type"]) for entry in doc["items"][:3]] == [
        ("/44249-1", "section"),
        ("/44249-1/44250-9", "single_choice"),
        ("/44249-1/44255-8", "single_choice"),
    ]
    assert doc["items"][0]["text"].startswith("Over the last 2 weeks")


def test_questionnaire_metadata_maps_onto_the_document() -> None:
    doc, _ = imported(raw("phq9", "a-ordinal-on-option"))

    assert (doc["slug"], doc["version"], doc["title"]) == ("phq9", "2.0", "Patient Health Questionnaire (PHQ-9)")
    assert doc["description"] == "Test document for Tandem's FHIR import, encoding a."
    assert doc["copyright"] == "Test data written for Tandem."


@pytest.mark.parametrize(
    ("fields", "slug"),
    [
        ({"url": "http://example.org/fhir/Questionnaire/Mood-Check|4.1", "name": "Other", "id": "x"}, "mood-check"),
        ({"url": "urn:uuid:0b6f7d1e-52a5-4b0e-9d55-6d2e1b7f0c11", "name": "PHQ9Questionnaire"}, "phq9-questionnaire"),
        ({"name": "---", "id": "Kessler_10"}, "kessler-10"),
        ({"id": "Émotions ça va"}, "emotions-ca-va"),
        ({}, "imported-questionnaire"),
        ({"url": 7, "name": ["x"], "id": "???"}, "imported-questionnaire"),
    ],
)
def test_slug_comes_from_url_name_or_id(fields: dict, slug: str) -> None:
    doc, _ = imported(questionnaire(choice("q1"), **fields))

    assert doc["slug"] == slug


def test_missing_title_falls_back_to_the_name_then_a_default() -> None:
    named = {"resourceType": "Questionnaire", "name": "MoodCheck", "item": [choice("q1")]}
    unnamed = {"resourceType": "Questionnaire", "item": [choice("q1")]}

    assert imported(named)[0]["title"] == "MoodCheck"
    assert imported(unnamed)[0]["title"] == "Imported questionnaire"


def test_weights_parsed_as_decimals_are_used() -> None:
    text = (FIXTURES / "phq9-b-weight-on-coding.json").read_text(encoding="utf-8")
    doc, _ = imported(json.loads(text, parse_float=Decimal))

    assert total(doc, dict.fromkeys(question_link_ids(json.loads(text)), "LA6571-9")) == 27


def test_whole_decimal_weights_count_as_whole_numbers() -> None:
    doc, _ = imported(questionnaire(choice("q1", (0.0, 1.0, 2.0))))

    assert [option["value"] for option in item(doc, "q1")["_options"]] == [0, 1, 2]
    assert doc["scales"][0]["items"] == ["q1"]


# Items: flattening, types and conditions.


def test_nested_groups_flatten_into_sections_in_reading_order() -> None:
    resource = questionnaire(
        {"linkId": "intro", "type": "display", "text": "Hello"},
        {
            "linkId": "g1",
            "type": "group",
            "text": "Outer",
            "item": [
                choice("q1"),
                {"linkId": "g2", "type": "group", "text": "Inner", "item": [choice("q2")]},
                choice("q3"),
            ],
        },
        choice("q4"),
    )

    doc, _ = imported(resource)

    assert [(entry["key"], entry["type"], entry["text"]) for entry in doc["items"]] == [
        ("intro", "display", "Hello"),
        ("g1", "section", "Outer"),
        ("q1", "single_choice", "Question q1"),
        ("g2", "section", "Inner"),
        ("q2", "single_choice", "Question q2"),
        ("q3", "single_choice", "Question q3"),
        ("q4", "single_choice", "Question q4"),
    ]
    assert doc["scales"][0]["items"] == ["q1", "q2", "q3", "q4"]


def test_boolean_becomes_unscored_yes_no_without_warnings() -> None:
    doc, warnings = imported(questionnaire({"linkId": "smoker", "type": "boolean", "text": "Do you smoke?"}))

    smoker = item(doc, "smoker")
    assert smoker["type"] == "single_choice"
    assert [(o["code"], o["label"], o["value"]) for o in smoker["_options"]] == [
        ("yes", "Yes", None),
        ("no", "No", None),
    ]
    assert warnings == []
    assert doc["scales"] == []


def test_integer_item_keeps_its_range_and_stays_out_of_the_total() -> None:
    age = {
        "linkId": "age",
        "type": "integer",
        "text": "Age",
        "required": True,
        "extension": [
            {"url": fhir.MIN_VALUE, "valueInteger": 16},
            {"url": fhir.MAX_VALUE, "valueInteger": 120},
        ],
    }

    doc, _ = imported(questionnaire(age, choice("q1")))

    assert {k: item(doc, "age")[k] for k in ("type", "min", "max", "required")} == {
        "type": "integer",
        "min": 16,
        "max": 120,
        "required": True,
    }
    assert doc["scales"][0]["items"] == ["q1"]


@pytest.mark.parametrize("kind", ["string", "text"])
def test_string_and_text_items_become_free_text(kind: str) -> None:
    doc, warnings = imported(questionnaire({"linkId": "why", "type": kind, "text": "Why?", "required": True}))

    assert (item(doc, "why")["type"], item(doc, "why")["required"]) == ("text", True)
    assert warnings == []


def test_repeating_choice_becomes_multiple_choice_outside_the_total() -> None:
    doc, warnings = imported(questionnaire(choice("many", repeats=True), choice("q1")))

    assert item(doc, "many")["type"] == "multiple_choice"
    assert doc["scales"][0]["items"] == ["q1"]
    assert any("'many'" in warning and "multiple-choice" in warning for warning in warnings)


def test_coding_type_is_read_like_choice() -> None:
    doc, _ = imported(questionnaire({**choice("q1"), "type": "coding"}))

    assert item(doc, "q1")["type"] == "single_choice"
    assert doc["scales"][0]["items"] == ["q1"]


def test_string_options_keep_their_text_and_weights() -> None:
    options = [
        {"valueString": "Rarely", "extension": [{"url": fhir.ITEM_WEIGHT, "valueDecimal": 0}]},
        {"valueString": "Often", "extension": [{"url": fhir.ITEM_WEIGHT, "valueDecimal": 4}]},
    ]
    doc, _ = imported(questionnaire({"linkId": "q1", "type": "choice", "answerOption": options}))

    assert [(o["code"], o["label"], o["value"]) for o in item(doc, "q1")["_options"]] == [
        ("Rarely", "Rarely", 0),
        ("Often", "Often", 4),
    ]
    assert total(doc, {"q1": "Often"}) == 4


def test_valueset_expansion_is_used_when_there_is_no_compose() -> None:
    value_set = {
        "resourceType": "ValueSet",
        "id": "yn",
        "expansion": {
            "contains": [
                {
                    "system": "http://example.org/yn",
                    "code": "n",
                    "display": "No",
                    "extension": [{"url": fhir.ORDINAL_VALUE, "valueDecimal": 0}],
                },
                {
                    "system": "http://example.org/yn",
                    "code": "y",
                    "display": "Yes",
                    "extension": [{"url": fhir.ORDINAL_VALUE, "valueDecimal": 1}],
                },
            ]
        },
    }
    resource = questionnaire({"linkId": "q1", "type": "choice", "answerValueSet": "#yn"}, contained=[value_set])

    doc, _ = imported(resource)

    assert [(o["code"], o["value"]) for o in item(doc, "q1")["_options"]] == [("n", 0), ("y", 1)]


def test_answer_value_set_outside_the_questionnaire_is_refused_with_its_path() -> None:
    external = {"linkId": "ext-1", "type": "choice", "answerValueSet": "http://loinc.org/vs/LL358-3"}

    with pytest.raises(DocumentError) as caught:
        fhir.questionnaire_to_document(questionnaire(choice("q1"), external))

    [problem] = caught.value.problems
    assert problem.path == "$.item[1].answerValueSet"
    assert "'http://loinc.org/vs/LL358-3'" in problem.message and "not contained" in problem.message


def test_non_integer_weight_leaves_the_item_unscored_with_a_warning() -> None:
    doc, warnings = imported(questionnaire(choice("half", (0, 0.5, 1)), choice("q2")))

    assert [o["value"] for o in item(doc, "half")["_options"]] == [None, None, None]
    assert doc["scales"][0]["items"] == ["q2"]
    assert any("'half'" in warning and "not a whole number" in warning for warning in warnings)


def test_repeated_weights_leave_the_item_unscored_with_a_warning() -> None:
    doc, warnings = imported(questionnaire(choice("same", (0, 1, 1)), choice("q2")))

    assert doc["scales"][0]["items"] == ["q2"]
    assert any("'same'" in warning and "same weight" in warning for warning in warnings)


def test_weights_on_only_some_answers_leave_the_item_unscored_with_a_warning() -> None:
    doc, warnings = imported(questionnaire(choice("part", (0, None, 2)), choice("q2")))

    assert doc["scales"][0]["items"] == ["q2"]
    assert any("'part'" in warning and "only some" in warning for warning in warnings)


def test_without_weights_there_is_no_total_and_no_bands_warning() -> None:
    doc, warnings = imported(questionnaire(choice("q1", None), choice("q2", None)))

    assert doc["scales"] == []
    assert not any(warning.startswith(LACKS) for warning in warnings)


def test_only_one_calculated_item_becomes_the_total() -> None:
    calculated = {"url": "http://hl7.org/fhir/StructureDefinition/cqf-expression", "valueExpression": {}}
    resource = questionnaire(
        choice("q1"),
        {"linkId": "sum-a", "type": "integer", "text": "Sum A", "extension": [calculated]},
        {"linkId": "sum-b", "type": "decimal", "text": "Sum B", "extension": [calculated]},
    )

    doc, warnings = imported(resource)

    assert doc["scales"][0]["label"] == "Sum A"
    assert any("'sum-b'" in warning and "only one" in warning for warning in warnings)


@pytest.mark.parametrize("kind", ["attachment", "reference", "quantity", "decimal", "question", "made-up"])
def test_unsupported_item_types_are_skipped_with_a_warning_naming_the_linkid(kind: str) -> None:
    doc, warnings = imported(questionnaire({"linkId": "odd/1", "type": kind, "text": "Odd"}, choice("q1")))

    assert [entry["key"] for entry in doc["items"]] == ["q1"]
    assert any("'odd/1'" in warning and "not supported" in warning for warning in warnings)


@pytest.mark.parametrize("kind", ["date", "dateTime", "time", "url"])
def test_date_time_and_url_items_are_asked_as_free_text_with_a_warning(kind: str) -> None:
    doc, warnings = imported(questionnaire({"linkId": "when", "type": kind, "text": "When?"}))

    assert item(doc, "when")["type"] == "text"
    assert any("'when'" in warning and "free text" in warning for warning in warnings)


def test_open_choice_keeps_its_options_and_warns_about_free_text() -> None:
    doc, warnings = imported(questionnaire({**choice("oc"), "type": "open-choice"}))

    assert item(doc, "oc")["type"] == "single_choice"
    assert any("'oc'" in warning and "other than the listed options" in warning for warning in warnings)


def test_read_only_questions_are_skipped_with_warnings() -> None:
    doc, warnings = imported(questionnaire(choice("ro", readOnly=True), choice("q1")))

    assert [entry["key"] for entry in doc["items"]] == ["q1"]
    assert any("'ro'" in warning for warning in warnings)


def test_linkid_with_whitespace_is_sanitised_the_same_way_each_time() -> None:
    resource = questionnaire(choice("item one"), choice("item_one"), choice("x" * 150))

    first, warnings = imported(resource)
    second, _ = imported(copy.deepcopy(resource))

    keys = [entry["key"] for entry in first["items"]]
    assert keys == [entry["key"] for entry in second["items"]]
    assert keys[1] == "item_one"
    assert keys[0] not in ("item one", "item_one") and " " not in keys[0]
    assert len(keys[2]) <= 100 and keys[2].startswith("x" * 90)
    assert any("'item one'" in warning for warning in warnings)


def test_duplicate_answer_codes_are_made_unique_with_a_warning() -> None:
    options = [
        {"valueCoding": {"system": "http://a", "code": "1"}},
        {"valueCoding": {"system": "http://b", "code": "1"}},
    ]

    doc, warnings = imported(questionnaire({"linkId": "dup", "type": "choice", "answerOption": options}))

    assert [o["code"] for o in item(doc, "dup")["_options"]] == ["1", "1~2"]
    assert any("'dup'" in warning and "repeats" in warning for warning in warnings)


# enableWhen.


def test_enable_when_maps_codings_numbers_and_exists() -> None:
    resource = questionnaire(
        choice("mood"),
        {"linkId": "smoker", "type": "boolean"},
        {"linkId": "count", "type": "integer"},
        {
            "linkId": "follow-up",
            "type": "string",
            "enableBehavior": "any",
            "enableWhen": [
                {
                    "question": "mood",
                    "operator": "=",
                    "answerCoding": {"system": "http://example.org/cs", "code": "c2"},
                },
                {"question": "smoker", "operator": "=", "answerBoolean": True},
                {"question": "count", "operator": ">=", "answerInteger": 10},
                {"question": "count", "operator": "<", "answerDecimal": 2.5},
                {"question": "mood", "operator": "exists", "answerBoolean": False},
            ],
        },
    )

    doc, warnings = imported(resource)

    assert item(doc, "follow-up")["enable_when"] == {
        "behavior": "any",
        "conditions": [
            {"item": "mood", "operator": "=", "answer": "c2"},
            {"item": "smoker", "operator": "=", "answer": "yes"},
            {"item": "count", "operator": ">=", "answer": 10},
            {"item": "count", "operator": "<", "answer": 2.5},
            {"item": "mood", "operator": "exists", "answer": False},
        ],
    }
    assert warnings == [w for w in warnings if w.startswith(LACKS)]


def test_enable_when_integer_on_integer_options_names_the_option() -> None:
    weighted = [
        {"valueInteger": number, "extension": [{"url": fhir.ORDINAL_VALUE, "valueDecimal": weight}]}
        for number, weight in ((1, 0), (2, 5), (3, 10))
    ]
    resource = questionnaire(
        {"linkId": "n", "type": "choice", "answerOption": weighted},
        {"linkId": "is-2", "type": "string", "enableWhen": [{"question": "n", "operator": "=", "answerInteger": 2}]},
        {"linkId": "over-1", "type": "string", "enableWhen": [{"question": "n", "operator": ">", "answerInteger": 1}]},
    )

    doc, warnings = imported(resource)

    assert item(doc, "is-2")["enable_when"]["conditions"][0]["answer"] == "2"
    assert document.enabled_keys(doc, {"n": "2"}) >= {"is-2"}
    assert "is-2" not in document.enabled_keys(doc, {"n": "3"})
    assert any(warning.startswith("Item 'over-1'") and "weights" in warning for warning in warnings)


def test_imported_conditions_show_and_hide_items_as_fhir_would() -> None:
    resource = questionnaire(
        choice("mood"),
        {
            "linkId": "grp",
            "type": "group",
            "enableWhen": [{"question": "mood", "operator": "=", "answerCoding": {"code": "c2"}}],
            "item": [{"linkId": "why", "type": "string"}],
        },
        {"linkId": "after", "type": "string"},
    )
    doc, _ = imported(resource)

    assert document.enabled_keys(doc, {"mood": "c2"}) == {"mood", "grp", "why", "after"}
    assert document.enabled_keys(doc, {"mood": "c1"}) == {"mood", "after"}


def test_enable_when_coding_follows_a_renamed_answer_code() -> None:
    options = [
        {"valueCoding": {"system": "http://a", "code": "1"}},
        {"valueCoding": {"system": "http://b", "code": "1"}},
    ]
    dependant = {
        "linkId": "then",
        "type": "string",
        "enableWhen": [{"question": "dup", "operator": "=", "answerCoding": {"system": "http://b", "code": "1"}}],
    }

    doc, _ = imported(questionnaire({"linkId": "dup", "type": "choice", "answerOption": options}, dependant))

    assert item(doc, "then")["enable_when"]["conditions"][0]["answer"] == "1~2"


def test_group_condition_applies_to_every_item_in_the_group() -> None:
    gate = {"question": "gate", "operator": "=", "answerBoolean": True}
    own = {"question": "inner", "operator": "exists", "answerBoolean": True}
    resource = questionnaire(
        {"linkId": "gate", "type": "boolean"},
        {
            "linkId": "grp",
            "type": "group",
            "enableWhen": [gate],
            "item": [{"linkId": "inner", "type": "integer"}, {"linkId": "last", "type": "string", "enableWhen": [own]}],
        },
    )

    doc, _ = imported(resource)

    gated = {"item": "gate", "operator": "=", "answer": "yes"}
    assert item(doc, "grp")["enable_when"] == {"behavior": "all", "conditions": [gated]}
    assert item(doc, "inner")["enable_when"] == {"behavior": "all", "conditions": [gated]}
    assert item(doc, "last")["enable_when"] == {
        "behavior": "all",
        "conditions": [gated, {"item": "inner", "operator": "exists", "answer": True}],
    }


@pytest.mark.parametrize(
    ("condition", "path", "reason"),
    [
        ({"question": "later", "operator": "exists", "answerBoolean": True}, ".question", "comes later"),
        ({"question": "nowhere", "operator": "exists", "answerBoolean": True}, ".question", "not in the questionnaire"),
        ({"question": "pic", "operator": "exists", "answerBoolean": True}, ".question", "not imported"),
        ({"question": "dep", "operator": "exists", "answerBoolean": True}, ".question", "depend on itself"),
        ({"question": "note", "operator": "exists", "answerBoolean": True}, ".question", "asks nothing"),
        ({"question": "q1", "operator": "=", "answerDate": "2024-01-01"}, ".answerDate", "cannot be compared"),
        ({"question": "q1", "operator": "=", "answerCoding": {"code": "zz"}}, ".answerCoding", "cannot be compared"),
        ({"question": "q1", "operator": "~", "answerInteger": 1}, ".operator", "must be one of"),
        ({"question": "q1", "operator": "exists"}, "", "exactly one answer[x]"),
    ],
)
def test_enable_when_that_cannot_be_honoured_is_refused_with_its_path(condition: dict, path: str, reason: str) -> None:
    resource = questionnaire(
        choice("q1"),
        {"linkId": "pic", "type": "attachment"},
        {"linkId": "note", "type": "display", "text": "Read this."},
        {"linkId": "grp", "type": "group", "item": [{"linkId": "dep", "type": "string", "enableWhen": [condition]}]},
        {"linkId": "later", "type": "string"},
    )

    with pytest.raises(DocumentError) as caught:
        fhir.questionnaire_to_document(resource)

    [problem] = caught.value.problems
    assert problem.path == f"$.item[3].item[0].enableWhen[0]{path}"
    assert reason in problem.message


@pytest.mark.parametrize(
    ("fields", "path"),
    [
        ({"enableWhen": "q1"}, "$.item[1].enableWhen"),
        (
            {"enableWhen": [{"question": "q1", "operator": "exists", "answerBoolean": True}], "enableBehavior": "one"},
            "$.item[1].enableBehavior",
        ),
    ],
)
def test_malformed_enable_when_is_refused_with_its_path(fields: dict, path: str) -> None:
    with pytest.raises(DocumentError) as caught:
        fhir.questionnaire_to_document(questionnaire(choice("q1"), {"linkId": "dep", "type": "string", **fields}))

    assert [problem.path for problem in caught.value.problems] == [path]


def test_a_group_condition_that_cannot_be_combined_with_its_items_is_refused() -> None:
    either = [
        {"question": "q1", "operator": "exists", "answerBoolean": True},
        {"question": "q2", "operator": "exists", "answerBoolean": True},
    ]
    own = {"question": "q1", "operator": "=", "answerCoding": {"code": "c1"}}
    resource = questionnaire(
        choice("q1"),
        choice("q2"),
        {
            "linkId": "grp",
            "type": "group",
            "enableWhen": either,
            "enableBehavior": "any",
            "item": [{"linkId": "dep", "type": "string", "enableWhen": [own, either[1]], "enableBehavior": "any"}],
        },
    )

    with pytest.raises(DocumentError) as caught:
        fhir.questionnaire_to_document(resource)

    assert [problem.path for problem in caught.value.problems] == ["$.item[2].item[0].enableWhen"]


def test_every_unhonoured_condition_is_reported_at_once() -> None:
    resource = questionnaire(
        {
            "linkId": "a",
            "type": "string",
            "enableWhen": [{"question": "b", "operator": "exists", "answerBoolean": True}],
        },
        {
            "linkId": "b",
            "type": "string",
            "enableWhen": [{"question": "x", "operator": "exists", "answerBoolean": True}],
        },
    )

    with pytest.raises(DocumentError) as caught:
        fhir.questionnaire_to_document(resource)

    assert [problem.path for problem in caught.value.problems] == [
        "$.item[0].enableWhen[0].question",
        "$.item[1].enableWhen[0].question",
    ]


# Export: document to Questionnaire and back.

HAND_DOC = {
    "format": FORMAT,
    "slug": "wellbeing-check",
    "version": "3",
    "title": "Wellbeing check",
    "description": "A short check written for these tests.",
    "instructions": "Answer every question.",
    "copyright": "Test data.",
    "answer_scales": [
        {
            "key": "freq",
            "label": "Frequency",
            "options": [
                {"code": "never", "label": "Never", "value": 0},
                {"code": "rarely", "label": "Rarely", "value": 1},
                {"code": "often", "label": "Often", "value": 2},
                {"code": "always", "label": "Always", "value": 3},
            ],
        }
    ],
    "items": [
        {"key": "intro", "type": "display", "text": "A few questions about the last week."},
        {"key": "mood", "type": "single_choice", "text": "I felt low", "answer_scale": "freq", "required": True},
        {
            "key": "sleep",
            "type": "single_choice",
            "text": "I slept well",
            "answer_scale": "freq",
            "reverse_keyed": True,
        },
        {
            "key": "s-work",
            "type": "section",
            "text": "Work",
            "enable_when": {"behavior": "all", "conditions": [{"item": "mood", "operator": ">=", "answer": 1}]},
        },
        {
            "key": "hours",
            "type": "integer",
            "text": "Hours worked",
            "min": 0,
            "max": 80,
            "enable_when": {"behavior": "all", "conditions": [{"item": "mood", "operator": ">=", "answer": 1}]},
        },
        {
            "key": "stress",
            "type": "single_choice",
            "text": "Work felt stressful",
            "answer_scale": "freq",
            "enable_when": {
                "behavior": "all",
                "conditions": [
                    {"item": "mood", "operator": ">=", "answer": 1},
                    {"item": "hours", "operator": "exists", "answer": True},
                ],
            },
        },
        {"key": "s-more", "type": "section", "text": "Support"},
        {
            "key": "support",
            "type": "multiple_choice",
            "text": "Who helped?",
            "options": [
                {"code": "friends", "label": "Friends"},
                {"code": "family", "label": "Family", "system": "http://example.org/support"},
            ],
            "enable_when": {
                "behavior": "any",
                "conditions": [
                    {"item": "mood", "operator": "=", "answer": "often"},
                    {"item": "stress", "operator": "!=", "answer": "never"},
                    {"item": "hours", "operator": ">", "answer": 37.5},
                ],
            },
        },
        {
            "key": "notes",
            "type": "text",
            "text": "Anything else?",
            "enable_when": {
                "behavior": "all",
                "conditions": [{"item": "support", "operator": "exists", "answer": False}],
            },
        },
        {"key": "thanks", "type": "section", "text": "Thank you"},
    ],
    "scales": [
        {"key": "total", "label": "Wellbeing", "total": True, "items": ["mood", "sleep", "stress"]},
        {"key": "low", "label": "Low mood", "items": ["mood"]},
    ],
    "risk_items": [{"item": "mood", "threshold": 3, "label": "Very low mood"}],
}


@pytest.fixture
def hand_doc() -> dict:
    return document.parse(copy.deepcopy(HAND_DOC))


def reimported(doc: dict) -> dict:
    return imported(fhir.document_to_questionnaire(doc))[0]


def test_export_nests_items_under_their_section_as_groups(hand_doc: dict) -> None:
    resource = fhir.document_to_questionnaire(hand_doc)

    shape = [
        (entry["linkId"], entry["type"], [child["linkId"] for child in entry.get("item", [])])
        for entry in resource["item"]
    ]
    assert shape == [
        ("intro", "display", []),
        ("mood", "choice", []),
        ("sleep", "choice", []),
        ("s-work", "group", ["hours", "stress"]),
        ("s-more", "group", ["support", "notes"]),
        ("thanks", "display", []),
        ("total", "integer", []),
    ]
    assert {k: resource[k] for k in ("resourceType", "id", "status", "version", "title")} == {
        "resourceType": "Questionnaire",
        "id": "wellbeing-check",
        "status": "active",
        "version": "3",
        "title": "Wellbeing check",
    }
    json.dumps(resource, allow_nan=False)


def test_export_writes_options_with_ordinal_values_and_integer_limits(hand_doc: dict) -> None:
    resource = fhir.document_to_questionnaire(hand_doc)
    mood, sleep = resource["item"][1], resource["item"][2]
    hours, stress = resource["item"][3]["item"]
    support = resource["item"][4]["item"][0]

    assert mood["required"] is True
    assert mood["answerOption"][2] == {
        "extension": [{"url": fhir.ORDINAL_VALUE, "valueDecimal": 2}],
        "valueCoding": {"code": "often", "display": "Often"},
    }
    assert [o["extension"][0]["valueDecimal"] for o in sleep["answerOption"]] == [3, 2, 1, 0], "reverse-keyed"
    assert [o["extension"][0]["valueDecimal"] for o in stress["answerOption"]] == [0, 1, 2, 3]
    assert hours["extension"] == [
        {"url": fhir.MIN_VALUE, "valueInteger": 0},
        {"url": fhir.MAX_VALUE, "valueInteger": 80},
    ]
    assert support["repeats"] is True
    assert support["answerOption"][1] == {
        "valueCoding": {"system": "http://example.org/support", "code": "family", "display": "Family"}
    }


def test_export_puts_a_shared_condition_on_the_group_and_the_rest_on_the_item(hand_doc: dict) -> None:
    work = fhir.document_to_questionnaire(hand_doc)["item"][3]

    assert work["enableWhen"] == [{"question": "mood", "operator": ">=", "answerInteger": 1}]
    assert "enableWhen" not in work["item"][0]
    assert work["item"][1]["enableWhen"] == [{"question": "hours", "operator": "exists", "answerBoolean": True}]


def test_export_writes_condition_answers_by_the_target_type(hand_doc: dict) -> None:
    support = fhir.document_to_questionnaire(hand_doc)["item"][4]["item"][0]

    assert support["enableBehavior"] == "any"
    assert support["enableWhen"] == [
        {"question": "mood", "operator": "=", "answerCoding": {"code": "often"}},
        {"question": "stress", "operator": "!=", "answerCoding": {"code": "never"}},
        {"question": "hours", "operator": ">", "answerDecimal": 37.5},
    ]


def test_enable_when_survives_export_and_import(hand_doc: dict) -> None:
    again = reimported(hand_doc)

    for original in hand_doc["items"]:
        assert item(again, original["key"])["enable_when"] == original["enable_when"], original["key"]


def test_export_and_import_score_every_answer_set_alike(hand_doc: dict) -> None:
    again = reimported(hand_doc)
    levels = {"never": 0, "rarely": 1, "often": 2, "always": 3}

    for mood, sleep, stress in product(levels, repeat=3):
        answers = {"mood": mood, "sleep": sleep, "hours": 40, "stress": stress}
        # stress is asked only when mood is at least "rarely" (else it does not apply); sleep is reverse-keyed.
        expected = levels[mood] + 3 - levels[sleep] + (levels[stress] if levels[mood] >= 1 else 0)
        assert total(hand_doc, answers) == expected, answers
        assert total(again, answers) == expected, answers


def test_export_weights_only_the_items_in_the_total(hand_doc: dict) -> None:
    again = reimported(hand_doc)

    assert again["scales"][0]["items"] == ["mood", "sleep", "stress"]
    assert item(again, "hours")["min"] == 0 and item(again, "hours")["max"] == 80


@pytest.mark.parametrize(("instrument", "encoding"), FILES)
def test_exported_fixture_imports_and_scores_alike(instrument: str, encoding: str) -> None:
    resource = raw(instrument, encoding)
    doc, _ = imported(resource)
    again = reimported(doc)
    keys = question_link_ids(resource)

    for levels, _expected in INSTRUMENTS[instrument].values():
        answers = dict(zip(keys, (ENCODINGS[encoding][level] for level in levels), strict=True))
        assert total(again, answers) == total(doc, answers) == sum(levels)


# QuestionnaireResponse.


def test_response_nests_answers_like_the_questionnaire(hand_doc: dict) -> None:
    answers = {
        "mood": "often",
        "sleep": 1,
        "hours": 38,
        "stress": "never",
        "support": ["friends", "family"],
        "notes": "",
    }

    response = fhir.response_to_questionnaire_response(
        hand_doc,
        answers,
        questionnaire_url="http://example.org/fhir/Questionnaire/wellbeing-check|3",
        authored="2025-03-30T09:15:00+01:00",
        subject_reference="Patient/cara",
    )

    assert {k: v for k, v in response.items() if k != "item"} == {
        "resourceType": "QuestionnaireResponse",
        "questionnaire": "http://example.org/fhir/Questionnaire/wellbeing-check|3",
        "status": "completed",
        "authored": "2025-03-30T09:15:00+01:00",
        "subject": {"reference": "Patient/cara"},
    }
    assert response["item"] == [
        {"linkId": "mood", "text": "I felt low", "answer": [{"valueCoding": {"code": "often", "display": "Often"}}]},
        {
            "linkId": "sleep",
            "text": "I slept well",
            "answer": [{"valueCoding": {"code": "rarely", "display": "Rarely"}}],
        },
        {
            "linkId": "s-work",
            "text": "Work",
            "item": [
                {"linkId": "hours", "text": "Hours worked", "answer": [{"valueInteger": 38}]},
                {
                    "linkId": "stress",
                    "text": "Work felt stressful",
                    "answer": [{"valueCoding": {"code": "never", "display": "Never"}}],
                },
            ],
        },
        {
            "linkId": "s-more",
            "text": "Support",
            "item": [
                {
                    "linkId": "support",
                    "text": "Who helped?",
                    "answer": [
                        {"valueCoding": {"code": "friends", "display": "Friends"}},
                        {
                            "valueCoding": {
                                "system": "http://example.org/support",
                                "code": "family",
                                "display": "Family",
                            }
                        },
                    ],
                }
            ],
        },
    ]


def test_response_answers_free_text_and_leaves_out_empty_groups(hand_doc: dict) -> None:
    response = fhir.response_to_questionnaire_response(
        hand_doc,
        {"notes": "Busy week"},
        questionnaire_url="urn:q",
        authored="2025-10-26T01:30:00Z",
        status="in-progress",
    )

    assert response["status"] == "in-progress" and "subject" not in response
    assert response["item"] == [
        {
            "linkId": "s-more",
            "text": "Support",
            "item": [{"linkId": "notes", "text": "Anything else?", "answer": [{"valueString": "Busy week"}]}],
        }
    ]


def test_response_leaves_out_answers_to_hidden_items(hand_doc: dict) -> None:
    answers = {"mood": "never", "hours": 38, "stress": "often", "notes": "Quiet week"}

    response = fhir.response_to_questionnaire_response(
        hand_doc, answers, questionnaire_url="urn:q", authored="2025-03-30T09:15:00Z"
    )

    assert [entry["linkId"] for entry in response["item"]] == ["mood", "s-more"]
    assert [entry["linkId"] for entry in response["item"][1]["item"]] == ["notes"]


def test_response_links_answers_to_an_imported_questionnaire() -> None:
    resource = raw("phq9", "d-path-linkids-in-group")
    doc, _ = imported(resource)
    keys = question_link_ids(resource)

    response = fhir.response_to_questionnaire_response(
        doc, dict.fromkeys(keys, "LA6570-1"), questionnaire_url="http://example.org/q", authored="2025-01-01"
    )

    [group] = response["item"]
    assert group["linkId"] == "/44249-1"
    assert [entry["linkId"] for entry in group["item"]] == keys
    assert group["item"][0]["answer"] == [
        {"valueCoding": {"system": LOINC, "code": "LA6570-1", "display": "More than half the days"}}
    ]


def test_response_refuses_answers_the_document_would_not_accept(hand_doc: dict) -> None:
    with pytest.raises(ScoringError) as caught:
        fhir.response_to_questionnaire_response(
            hand_doc, {"mood": "sometimes"}, questionnaire_url="urn:q", authored="2025-01-01"
        )

    assert caught.value.item_key == "mood"


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"status": "done"}, "status"),
        ({"authored": "30/03/2025"}, "authored"),
        ({"authored": "2025-03-30T09:15:00"}, "authored"),
        ({"authored": "2025-02-30"}, "authored"),
        ({"questionnaire_url": ""}, "questionnaire_url"),
    ],
)
def test_response_refuses_bad_metadata(hand_doc: dict, fields: dict, message: str) -> None:
    arguments = {"questionnaire_url": "urn:q", "authored": "2025-03-30T09:15:00Z", **fields}

    with pytest.raises(ValueError, match=message):
        fhir.response_to_questionnaire_response(hand_doc, {"mood": "often"}, **arguments)


# Malformed input.


@pytest.mark.parametrize(
    ("resource", "paths"),
    [
        (["not", "an", "object"], ["$"]),
        ({"resourceType": "Patient", "item": []}, ["$.resourceType"]),
        ({"resourceType": "Questionnaire", "item": {"linkId": "q1"}}, ["$.item"]),
        ({"resourceType": "Questionnaire", "item": [choice("q1"), "q2"]}, ["$.item[1]"]),
        (
            {"resourceType": "Questionnaire", "item": [choice("q1"), choice("q2"), {"type": "string"}]},
            ["$.item[2].linkId"],
        ),
        ({"resourceType": "Questionnaire", "item": [{"linkId": 4, "type": "string"}]}, ["$.item[0].linkId"]),
        ({"resourceType": "Questionnaire", "item": [{"linkId": "q1"}]}, ["$.item[0].type"]),
        (
            {
                "resourceType": "Questionnaire",
                "item": [choice("q1"), {"linkId": "g", "type": "group", "item": [choice("q1")]}],
            },
            ["$.item[1].item[0].linkId"],
        ),
        (
            {"resourceType": "Questionnaire", "item": [{"linkId": "g", "type": "group", "item": "q1"}]},
            ["$.item[0].item"],
        ),
        ({"resourceType": "Questionnaire", "item": [{"linkId": "pic", "type": "attachment"}]}, ["$.item", "$.item[0]"]),
        ({"resourceType": "Questionnaire"}, ["$.item"]),
    ],
)
def test_malformed_questionnaire_is_refused_with_paths(resource: object, paths: list[str]) -> None:
    with pytest.raises(DocumentError) as caught:
        fhir.questionnaire_to_document(resource)

    assert [problem.path for problem in caught.value.problems] == paths


def test_every_structural_problem_is_reported_at_once() -> None:
    resource = questionnaire(choice("a"), {"type": "string"}, choice("a"), {"linkId": "b", "type": 3})

    with pytest.raises(DocumentError) as caught:
        fhir.questionnaire_to_document(resource)

    assert [problem.path for problem in caught.value.problems] == [
        "$.item[1].linkId",
        "$.item[2].linkId",
        "$.item[3].type",
    ]
    assert "'a'" in caught.value.problems[1].message and "$.item[0]" in caught.value.problems[1].message


def test_absurdly_deep_nesting_is_refused_not_a_recursion_error() -> None:
    resource: dict = {"linkId": "leaf", "type": "string"}
    for depth in range(200):
        resource = {"linkId": f"g{depth}", "type": "group", "item": [resource]}

    with pytest.raises(DocumentError) as caught:
        fhir.questionnaire_to_document(questionnaire(resource))

    assert "levels deep" in caught.value.problems[0].message


# Properties: no input crashes the importer, and what it accepts parses and survives a round trip.

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.decimals()
    | st.text(max_size=8)
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=25,
)
# Three kinds of item: scored choices, plausible items (mostly valid, so imports succeed and weights, groups and
# conditions get exercised) and noisy ones (any JSON where FHIR expects something specific). Items are drawn with
# the placeholder linkId "?", which ``relabelled`` replaces with distinct names in reading order, the early names
# first so that conditions (which name early items) find something; noisy items sometimes bring a linkId of their
# own, which may repeat or be refused.
EARLY_LINK_IDS = (*"abcdefgh", "a b", "/p/q")
LATE_LINK_IDS = (*"ijklmnop", "x" * 120, "z\x00", " ")
questions = st.sampled_from([*EARLY_LINK_IDS, "nowhere"])
types = st.sampled_from(
    [
        *("choice",) * 6,
        *("group", "display", "open-choice", "coding", "boolean", "integer", "decimal", "string", "text"),
        *("date", "attachment", "quantity", "reference", "url", "bogus"),
    ]
)
weights = st.integers(0, 4) | st.sampled_from([0.5, 2.0, Decimal("1"), Decimal("NaN"), "2", None, True, 10**12])
numbers = st.integers(-4, 4) | st.floats(-4, 4) | st.decimals(-4, 4, places=1)
weight_extension = st.fixed_dictionaries({"url": st.sampled_from(fhir.WEIGHT_URLS), "valueDecimal": weights})
item_extension = st.fixed_dictionaries(
    {"url": st.sampled_from([fhir.MIN_VALUE, fhir.MAX_VALUE, fhir.HIDDEN, "http://x/cqf-expression"])},
    optional={"valueInteger": numbers, "valueBoolean": st.booleans()},
)
good_coding = st.fixed_dictionaries(
    {"code": st.sampled_from([*"ABCDE", "yes"])},
    optional={
        "system": st.sampled_from(["http://s", "http://t"]),
        "display": st.text(max_size=5),
        "extension": st.lists(weight_extension, max_size=1),
    },
)
good_option = st.one_of(
    st.fixed_dictionaries({"valueCoding": good_coding}, optional={"extension": st.lists(weight_extension, max_size=1)}),
    st.fixed_dictionaries(
        {"valueInteger": st.integers(-2, 5)}, optional={"extension": st.lists(weight_extension, max_size=1)}
    ),
    st.fixed_dictionaries(
        {"valueString": st.sampled_from(["x", "y", "z"])},
        optional={"extension": st.lists(weight_extension, max_size=1)},
    ),
)
good_answer = st.one_of(
    st.builds(lambda value: {"answerCoding": value}, good_coding),
    st.builds(lambda value: {"answerInteger": value}, st.integers(-2, 5)),
    st.builds(lambda value: {"answerDecimal": value}, st.floats(-3, 3) | st.decimals(-3, 3, places=1)),
    st.builds(lambda value: {"answerBoolean": value}, st.booleans()),
    st.builds(lambda value: {"answerString": value}, st.sampled_from(["x", "A"])),
)
any_condition = st.builds(
    lambda question, operator, answer: {"question": question, "operator": operator, **answer},
    questions,
    st.sampled_from(document.OPERATORS),
    good_answer,
)
# An unhonourable condition refuses the import, so most plausible conditions look back at the item before.
exists_condition = st.builds(
    lambda question, answer: {"question": question, "operator": "exists", "answerBoolean": answer},
    st.just("^"),
    st.booleans(),
)
good_condition = st.one_of(*[exists_condition] * 6, any_condition)
good_item = st.fixed_dictionaries(
    {"linkId": st.just("?"), "type": types},
    optional={
        "text": st.text(max_size=10),
        "required": st.booleans(),
        "repeats": st.sampled_from([False, False, True]),
        "answerOption": st.lists(good_option, min_size=1, max_size=4),
        "answerValueSet": st.just("#vs"),
        "enableWhen": st.lists(good_condition, min_size=1, max_size=1),
        "enableBehavior": st.sampled_from(["all", "any"]),
        "extension": st.lists(item_extension, max_size=2),
    },
)
json_extensions = st.lists(weight_extension, max_size=2) | json_values
noisy_option = st.one_of(
    st.fixed_dictionaries({"valueCoding": json_values}, optional={"extension": json_extensions}),
    st.fixed_dictionaries({"valueInteger": json_scalars}, optional={"extension": json_values}),
    st.fixed_dictionaries({"valueString": json_scalars}, optional={"extension": json_values}),
    json_values,
)
noisy_condition = st.fixed_dictionaries(
    {"question": questions | json_scalars, "operator": st.sampled_from([*document.OPERATORS, "~"]) | json_scalars},
    optional={
        "answerCoding": json_values,
        "answerInteger": json_scalars,
        "answerDecimal": json_scalars,
        "answerBoolean": json_scalars,
        "answerString": json_scalars,
        "answerDate": json_scalars,
    },
)
noisy_item = st.fixed_dictionaries(
    {"linkId": st.sampled_from(["?"] * 8 + ["", 5, "a"]), "type": types},
    optional={
        "text": json_scalars,
        "required": json_scalars,
        "repeats": json_scalars,
        "readOnly": json_scalars,
        "answerOption": st.lists(noisy_option, max_size=4) | json_scalars,
        "answerValueSet": st.sampled_from(["#vs", "http://elsewhere"]) | json_scalars,
        "enableWhen": st.lists(noisy_condition, max_size=3) | json_scalars,
        "enableBehavior": json_scalars,
        "extension": st.lists(item_extension | json_values, max_size=3) | json_scalars,
        "code": json_values,
    },
)
scored_item = st.builds(
    lambda codes, weights, on_coding, url: {
        "linkId": "?",
        "type": "choice",
        "answerOption": [
            {"valueCoding": {"code": code, "extension": [{"url": url, "valueDecimal": weight}]}}
            if on_coding
            else {"extension": [{"url": url, "valueDecimal": weight}], "valueCoding": {"code": code}}
            for code, weight in zip(codes, weights, strict=False)
        ],
    },
    st.lists(st.sampled_from("ABCDE"), min_size=2, max_size=4, unique=True),
    st.permutations(range(5)),
    st.booleans(),
    st.sampled_from(fhir.WEIGHT_URLS),
)
leaf_item = scored_item | good_item | noisy_item
items = st.recursive(
    leaf_item,
    lambda inner: st.builds(
        lambda node, kids, group: {**node, **({"type": "group"} if group else {}), "item": kids},
        good_item,
        st.lists(inner, max_size=3),
        st.booleans(),
    ),
    max_leaves=6,
)
value_set = st.fixed_dictionaries(
    {
        "resourceType": st.just("ValueSet"),
        "id": st.just("vs"),
        "compose": st.fixed_dictionaries(
            {
                "include": st.lists(
                    st.fixed_dictionaries(
                        {
                            "system": st.sampled_from(["http://s", "http://t"]),
                            "concept": st.lists(good_coding, max_size=4),
                        }
                    ),
                    max_size=2,
                )
            }
        )
        | json_values,
    },
    optional={"expansion": json_values},
)


def relabelled(resource: dict, names: list[str]) -> dict:
    """The resource with each placeholder linkId replaced by the next name (names repeat once they run out).

    A condition on the question "^" is given the linkId of the first item (always a scored question), so
    that it looks back; on the first item itself it is left out.
    """
    counter = iter(range(10**6))
    first: list[str] = []

    def walk(nodes: list[dict]) -> list[dict]:
        result = []
        for node in nodes:
            node = dict(node)
            if isinstance(node.get("enableWhen"), list):
                node["enableWhen"] = [
                    {**entry, "question": first[0]}
                    if isinstance(entry, dict) and entry.get("question") == "^"
                    else entry
                    for entry in node["enableWhen"]
                    if first or not (isinstance(entry, dict) and entry.get("question") == "^")
                ]
            if node["linkId"] == "?":
                node["linkId"] = names[next(counter) % len(names)]
            first[:] = first or [node["linkId"]]
            if isinstance(node.get("item"), list):
                node["item"] = walk(node["item"])
            result.append(node)
        return result

    return {**resource, "item": walk(resource["item"])}


questionnaires = st.fixed_dictionaries(
    {
        "resourceType": st.just("Questionnaire"),
        "item": st.tuples(scored_item, st.lists(items, min_size=1, max_size=4)).map(
            lambda drawn: [drawn[0], *drawn[1]]
        ),
    },
    optional={
        "url": st.text(max_size=20) | json_scalars,
        "name": st.text(max_size=10) | json_scalars,
        "title": st.text(max_size=10) | json_scalars,
        "version": st.text(max_size=50) | json_scalars,
        "description": st.text(max_size=10) | json_scalars,
        "contained": st.lists(value_set | json_values, max_size=2) | json_scalars,
    },
)
questionnaires = questionnaires.flatmap(
    lambda resource: st.tuples(st.permutations(EARLY_LINK_IDS), st.permutations(LATE_LINK_IDS)).map(
        lambda names: relabelled(resource, [*names[0], *names[1]])
    )
)
property_settings = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def import_or_refuse(resource: object) -> tuple[dict, list[str]] | None:
    """The property every import must have: a DocumentError or a document that parses."""
    try:
        converted, warnings = fhir.questionnaire_to_document(resource)
    except DocumentError as exc:
        assert exc.problems and all(problem.path.startswith("$") for problem in exc.problems)
        return None
    assert all(isinstance(warning, str) for warning in warnings)
    return document.parse(converted), warnings


@property_settings
@given(
    json_values
    | st.builds(
        lambda body: {"resourceType": "Questionnaire", **body},
        st.dictionaries(st.sampled_from(["item", "url", "name", "title", "contained"]), json_values),
    )
)
def test_any_json_imports_or_is_refused_with_a_document_error(resource: object) -> None:
    import_or_refuse(resource)


@property_settings
@given(questionnaires, st.data())
def test_questionnaire_like_input_imports_and_survives_a_round_trip(resource: dict, data: st.DataObject) -> None:
    result = import_or_refuse(resource)
    if result is None:
        return
    doc, _ = result
    exported = fhir.document_to_questionnaire(doc)
    json.dumps(exported, allow_nan=False)
    again = reimported(doc)

    questions = [
        (entry["key"], entry["type"], entry["enable_when"])
        for entry in doc["items"]
        if entry["type"] in document.QUESTION_TYPES
    ]
    assert questions == [
        (e["key"], e["type"], e["enable_when"]) for e in again["items"] if e["type"] in document.QUESTION_TYPES
    ]
    assert [s["items"] for s in again["scales"]] == [s["items"] for s in doc["scales"]]
    if doc["scales"]:
        answers = {
            key: data.draw(st.sampled_from([option["code"] for option in item(doc, key)["_options"]]))
            for key in doc["scales"][0]["items"]
        }
        assert total(again, answers) == total(doc, answers)


def test_the_structured_strategy_reaches_scores_groups_and_conditions() -> None:
    """Guards the property above against a strategy that only ever produces refusals or trivial documents."""
    seen = {"imported": 0, "scored": 0, "sections": 0, "conditions": 0}

    @settings(max_examples=100, deadline=None, database=None, derandomize=True)
    @given(questionnaires)
    def collect(resource: dict) -> None:
        result = import_or_refuse(resource)
        if result is not None:
            doc = result[0]
            seen["imported"] += 1
            seen["scored"] += bool(doc["scales"])
            seen["sections"] += any(entry["type"] == "section" for entry in doc["items"])
            seen["conditions"] += any(entry["enable_when"] for entry in doc["items"])

    collect()
    assert seen["imported"] >= 30 and seen["scored"] >= 10 and seen["sections"] >= 5 and seen["conditions"] >= 5, seen
