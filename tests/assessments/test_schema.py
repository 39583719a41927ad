"""The JSON Schema of instrument documents agrees with the importer, and the README's example works.

The importer (``document.parse``) is the authority: the schema documents the format for people
writing documents by hand, so it may be looser than the importer (it cannot check cross-references)
but must never reject a document the importer accepts.
"""

from __future__ import annotations

import copy
import itertools
import json
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

import assessments
from assessments import document, scoring

APP = Path(assessments.__file__).resolve().parent
SCHEMA = json.loads((APP / "schema" / "instrument.schema.json").read_text(encoding="utf-8"))
README = (APP / "README.md").read_text(encoding="utf-8")
JSON_BLOCKS = re.findall(r"^```json\n(.*?)^```", README, flags=re.DOTALL | re.MULTILINE)
VALIDATOR = Draft202012Validator(SCHEMA)


def schema_errors(data: object) -> list[str]:
    return [f"{error.json_path}: {error.message}" for error in VALIDATOR.iter_errors(data)]


def readme_example() -> dict[str, Any]:
    return json.loads(JSON_BLOCKS[0])


# The schema itself and the README


def test_schema_is_a_valid_draft_2020_12_schema() -> None:
    Draft202012Validator.check_schema(SCHEMA)
    assert SCHEMA["$schema"] == "https://json-schema.org/draft/2020-12/schema"


OBJECTS = {"$": SCHEMA} | {name: spec for name, spec in SCHEMA["$defs"].items() if spec.get("type") == "object"}


def test_every_object_in_the_format_forbids_unknown_fields() -> None:
    assert set(OBJECTS) == {
        "$",
        "answerScale",
        "option",
        "item",
        "enableWhen",
        "condition",
        "scale",
        "band",
        "riskItem",
    }
    for name, spec in OBJECTS.items():
        assert spec["additionalProperties"] is False, name


def test_every_field_in_the_schema_is_described() -> None:
    undescribed = [
        f"{name}.{field}"
        for name, spec in OBJECTS.items()
        for field, rule in spec["properties"].items()
        if not rule.get("description")
    ]
    assert undescribed == []


def test_the_schema_knows_the_fields_the_importer_knows() -> None:
    assert set(OBJECTS["item"]["properties"]) == set(document.ITEM_FIELDS)
    assert tuple(OBJECTS["item"]["properties"]["type"]["enum"]) == document.ITEM_TYPES
    assert tuple(OBJECTS["condition"]["properties"]["operator"]["enum"]) == document.OPERATORS
    assert SCHEMA["properties"]["format"]["const"] == document.FORMAT
    # The parser uses fullmatch; the schema anchors the same pattern (ECMA-262 "$" does not allow a final newline).
    assert SCHEMA["properties"]["slug"]["pattern"] == f"^{document.SLUG_PATTERN.pattern}$"
    assert SCHEMA["$defs"]["itemKey"]["pattern"] == f"^{document.KEY_PATTERN.pattern}$"


# Optional fields whose default depends on others: a code defaults to its value; a choice item has one of the two.
WITHOUT_DEFAULT = {"option.code", "item.answer_scale", "item.options"}


def test_the_defaults_in_the_schema_are_the_importers() -> None:
    bare = {
        "format": document.FORMAT,
        "slug": "bare",
        "title": "Bare",
        "items": [{"key": "n", "type": "integer", "text": ""}],
    }
    condition = {"item": "n", "operator": "exists", "answer": True}
    full = bare | {
        "answer_scales": [{"key": "yes-no", "options": [{"code": "no", "label": "No"}]}],
        "items": [
            *bare["items"],
            {"key": "m", "type": "integer", "text": "", "min": 0, "max": 4},
            {"key": "later", "type": "text", "text": "", "enable_when": {"conditions": [condition]}},
        ],
        "scales": [
            {"key": "s", "label": "S", "items": ["m"]},
            {"key": "b", "label": "B", "items": ["m"], "bands": [{"low": 0, "high": 4, "label": "All"}]},
        ],
        "risk_items": [{"item": "m", "threshold": 4}],
    }
    doc = document.parse(full)
    parsed = {
        "$": document.parse(bare),
        "answerScale": doc["answer_scales"][0],
        "option": doc["answer_scales"][0]["options"][0],
        "item": doc["items"][0],
        "enableWhen": doc["items"][2]["enable_when"],
        "condition": doc["items"][2]["enable_when"]["conditions"][0],
        "scale": doc["scales"][0],
        "band": doc["scales"][1]["bands"][0],
        "riskItem": doc["risk_items"][0],
    }
    for name, spec in OBJECTS.items():
        for field, rule in spec["properties"].items():
            if "default" in rule:
                assert parsed[name][field] == rule["default"], f"{name}.{field}"
            elif field not in spec["required"] and f"{name}.{field}" not in WITHOUT_DEFAULT:
                pytest.fail(f"{name}.{field} is optional but the schema gives no default")


def test_readme_example_is_accepted_by_the_schema_and_the_importer() -> None:
    example = readme_example()
    assert schema_errors(example) == []
    doc = document.parse(example)
    assert schema_errors(document.exported(doc)) == []
    assert document.band_problems(doc) == []
    assert document.parse(document.exported(doc)) == doc


def test_readme_example_covers_what_it_promises() -> None:
    example = readme_example()
    items = example["items"]
    questions = [item for item in items if item["type"] in document.QUESTION_TYPES]
    assert {item["type"] for item in items} >= {"section", "single_choice"}
    assert len(example["answer_scales"]) == 1
    assert any(item.get("reverse_keyed") for item in questions)
    assert any(item.get("enable_when") for item in items)
    [total] = [scale for scale in example["scales"] if scale.get("total")]
    assert len(total["items"]) == 3 and total["bands"]
    assert total["clinical_cutoff"] is not None and total["reference_sd"] and total["reliability"]
    assert example["risk_items"]


def test_readme_answers_give_the_result_the_readme_shows() -> None:
    doc = document.parse(readme_example())
    answers, shown = json.loads(JSON_BLOCKS[1]), json.loads(JSON_BLOCKS[2])
    assert document.result_as_json(document.score_document(doc, answers)) == shown


def test_readme_reliable_change_figures() -> None:
    [scale] = document.spec_from_document(document.parse(readme_example())).scales
    assert round(scoring.reliable_change_threshold(scale.reference_sd, scale.reliability), 1) == 3.1
    assert scoring.outcome_for(scale, 8, 4) == scoring.Outcome.RECOVERED
    assert scoring.outcome_for(scale, 8, 5) == scoring.Outcome.UNCHANGED


# Documents both the schema and the importer reject


def _set(path: tuple, value: object):
    def change(doc: dict) -> None:
        *parents, last = path
        target = doc
        for step in parents:
            target = target[step]
        target[last] = value

    return change


def _delete(path: tuple):
    def change(doc: dict) -> None:
        *parents, last = path
        target = doc
        for step in parents:
            target = target[step]
        del target[last]

    return change


def _add_item(item: dict):
    return lambda doc: doc["items"].append(item)


BAD = {
    "unknown top-level field": (_set(("colour",), "blue"), "$.colour"),
    "unknown item field": (_set(("items", 1, "hint"), "Take your time"), "$.items[1].hint"),
    "unknown band field": (_set(("scales", 0, "bands", 0, "colour"), "green"), "$.scales[0].bands[0].colour"),
    "slug with capitals and a space": (_set(("slug",), "Weekly Check"), "$.slug"),
    "slug with a double hyphen": (_set(("slug",), "weekly--check-in"), "$.slug"),
    "slug with a trailing hyphen": (_set(("slug",), "weekly-"), "$.slug"),
    "wrong format": (_set(("format",), "tandem-instrument/2"), "$.format"),
    "missing title": (_delete(("title",)), "$.title"),
    "blank title": (_set(("title",), "   "), "$.title"),
    "title too long": (_set(("title",), "x" * 201), "$.title"),
    "no items": (_set(("items",), []), "$.items"),
    "wrong item type": (_set(("items", 1, "type"), "radio"), "$.items[1].type"),
    "item key with a space": (_set(("items", 0, "key"), "your week"), "$.items[0].key"),
    "options on an integer item": (
        _add_item({"key": "age", "type": "integer", "text": "Age", "options": [{"value": 1, "label": "one"}]}),
        "$.items[5].options",
    ),
    "answer scale on a text item": (_set(("items", 4, "answer_scale"), "frequency"), "$.items[4].answer_scale"),
    "reverse_keyed on a text item": (_set(("items", 4, "reverse_keyed"), True), "$.items[4].reverse_keyed"),
    "min on a choice item": (_set(("items", 1, "min"), 0), "$.items[1].min"),
    "required section": (_set(("items", 0, "required"), True), "$.items[0].required"),
    "choice item with both answer_scale and options": (
        _set(("items", 1, "options"), [{"value": 0, "label": "No"}, {"value": 1, "label": "Yes"}]),
        "$.items[1]",
    ),
    "choice item with neither answer_scale nor options": (_delete(("items", 1, "answer_scale")), "$.items[1].options"),
    "option with neither code nor value": (
        _set(("answer_scales", 0, "options", 0), {"label": "Never"}),
        "$.answer_scales[0].options[0].code",
    ),
    "option with a fractional value": (
        _set(("answer_scales", 0, "options", 0, "value"), 0.5),
        "$.answer_scales[0].options[0].value",
    ),
    "answer scale without options": (_set(("answer_scales", 0, "options"), []), "$.answer_scales[0].options"),
    "unknown condition operator": (
        _set(("items", 4, "enable_when", "conditions", 0, "operator"), "=="),
        "$.items[4].enable_when.conditions[0].operator",
    ),
    "exists with a code for an answer": (
        _set(("items", 4, "enable_when", "conditions", 0, "operator"), "exists"),
        "$.items[4].enable_when.conditions[0].answer",
    ),
    "condition without conditions": (_set(("items", 4, "enable_when", "conditions"), []), "$.items[4].enable_when"),
    "unknown behaviour": (_set(("items", 4, "enable_when", "behavior"), "some"), "$.items[4].enable_when.behavior"),
    "two totals": (
        lambda doc: doc["scales"].append({"key": "again", "label": "Again", "total": True, "items": ["q1"]}),
        "$.scales",
    ),
    "unknown scale method": (_set(("scales", 0, "method"), "median"), "$.scales[0].method"),
    "scale without items": (_set(("scales", 0, "items"), []), "$.scales"),
    "scale listing an item twice": (_set(("scales", 0, "items"), ["q1", "q1"]), "$.scales"),
    "negative max_missing": (_set(("scales", 0, "max_missing"), -1), "$.scales"),
    "reliability of 1": (_set(("scales", 0, "reliability"), 1), "$.scales"),
    "reference_sd of 0": (_set(("scales", 0, "reference_sd"), 0), "$.scales"),
    "reference_sd without reliability": (_delete(("scales", 0, "reliability")), "$.scales"),
    "cutoff that is not a number": (_set(("scales", 0, "clinical_cutoff"), "5"), "$.scales[0].clinical_cutoff"),
    "band without a label": (_delete(("scales", 0, "bands", 0, "label")), "$.scales[0].bands[0].label"),
    "risk item without a threshold": (_delete(("risk_items", 0, "threshold")), "$.risk_items[0].threshold"),
    "text with a null character": (_set(("items", 1, "text"), "a\x00b"), "$.items[1].text"),
}


@pytest.mark.parametrize("change, path", BAD.values(), ids=BAD.keys())
def test_bad_documents_are_rejected_by_both(change, path: str) -> None:
    bad = readme_example()
    change(bad)
    assert schema_errors(bad), "the schema accepts it"
    with pytest.raises(document.DocumentError) as caught:
        document.parse(bad)
    assert any(problem.path.startswith(path) for problem in caught.value.problems), caught.value.problems


def test_schema_rejects_a_document_that_is_not_an_object() -> None:
    assert schema_errors([readme_example()])
    with pytest.raises(document.DocumentError):
        document.parse([readme_example()])


# The schema is never stricter than the importer

TEXT = st.text(st.characters(exclude_characters="\x00", exclude_categories=("Cs",)), max_size=12)
NONEMPTY_TEXT = st.text(st.characters(exclude_characters="\x00", exclude_categories=("Cs",)), min_size=1, max_size=12)
ITEM_KEY = st.from_regex(r"[^\s\x00\ud800-\udfff]{1,12}", fullmatch=True)
SLUG = st.from_regex(r"[a-z0-9]{1,8}(?:-[a-z0-9]{1,8}){0,3}", fullmatch=True)
NUMBER = st.one_of(st.integers(-1000, 1000), st.floats(-1000, 1000, allow_nan=False, allow_infinity=False))
CHOICE = ("single_choice", "multiple_choice")


def _maybe(draw, data: dict, key: str, strategy: st.SearchStrategy) -> None:
    """Give ``key`` a value from ``strategy`` half of the time, leaving it to its default otherwise."""
    if draw(st.booleans()):
        data[key] = draw(strategy)


@st.composite
def option_lists(draw, scored: bool) -> list[dict]:
    """Options with unique codes and values; when ``scored``, every option has a value and there are two."""
    values = draw(
        st.one_of(
            st.just([0, 1, 2, 3]),
            st.lists(st.integers(-5, 9), min_size=2 if scored else 1, max_size=4, unique=True),
        )
    )
    codes = draw(st.lists(NONEMPTY_TEXT, min_size=len(values), max_size=len(values), unique=True))
    options = []
    for value, code in zip(values, codes, strict=True):
        option: dict[str, Any] = {"label": draw(TEXT)}
        has_value = scored or draw(st.booleans())
        if has_value:
            option["value"] = value
        elif draw(st.booleans()):
            option["value"] = None
        if not has_value or draw(st.booleans()):
            option["code"] = code
        _maybe(draw, option, "system", st.sampled_from(["", "http://loinc.org", "http://snomed.info/sct"]))
        options.append(option)
    final = [option.get("code", str(option.get("value"))) for option in options]
    if len(set(final)) != len(final):
        for option, code in zip(options, codes, strict=True):
            option["code"] = code
    return options


def _option_range(options: list[dict]) -> tuple[int, int] | None:
    values = [option.get("value") for option in options]
    if all(value is not None for value in values) and len(set(values)) > 1:
        return min(values), max(values)
    return None


@st.composite
def conditions(draw, earlier: list[str]) -> dict:
    operator = draw(st.sampled_from(document.OPERATORS))
    answer = draw(st.booleans() if operator == "exists" else st.one_of(TEXT, NUMBER))
    return {"item": draw(st.sampled_from(earlier)), "operator": operator, "answer": answer}


@st.composite
def items(draw, key: str, kind: str, answer_scales: dict[str, list[dict]], earlier: list[str]):
    """One item of ``kind`` with valid fields, and its score range when it is scorable."""
    item: dict[str, Any] = {"key": key, "type": kind, "text": draw(TEXT)}
    question = kind in document.QUESTION_TYPES
    _maybe(draw, item, "required", st.booleans() if question else st.just(False))
    _maybe(draw, item, "reverse_keyed", st.booleans() if kind == "single_choice" else st.just(False))
    score_range = None
    if kind in CHOICE:
        if answer_scales and draw(st.booleans()):
            item["answer_scale"] = draw(st.sampled_from(sorted(answer_scales)))
            options = answer_scales[item["answer_scale"]]
        else:
            options = item["options"] = draw(option_lists(scored=draw(st.integers(0, 3)) > 0))
        if kind == "single_choice":
            score_range = _option_range(options)
    if kind == "integer":
        ranges = st.one_of(st.sampled_from([(0, 3), (1, 5)]), st.lists(st.integers(-5, 12), min_size=2, max_size=2))
        low, high = sorted(draw(ranges))
        if draw(st.integers(0, 3)):
            item["min"], item["max"] = low, high
        else:  # a range open at one or both ends
            _maybe(draw, item, "min", st.sampled_from([None, low]))
            _maybe(draw, item, "max", st.sampled_from([None, high]))
        if item.get("min") is not None and item.get("max") is not None and low < high:
            score_range = (low, high)
    if earlier and draw(st.booleans()):
        item["enable_when"] = {"conditions": draw(st.lists(conditions(earlier), min_size=1, max_size=3))}
        _maybe(draw, item["enable_when"], "behavior", st.sampled_from(["all", "any"]))
    elif draw(st.integers(0, 9)) == 0:
        item["enable_when"] = None
    return item, score_range


@st.composite
def tiling_bands(draw, low: float, high: float, step: float) -> list[dict]:
    """Bands that cover ``low`` to ``high`` exactly once at resolution ``step`` (shuffled)."""
    step_ = Decimal(str(step))
    start = Decimal(str(low))
    steps = int((Decimal(str(high)) - start) / step_)
    cuts = sorted(draw(st.sets(st.integers(1, steps), max_size=min(3, steps))) if steps else set())
    bounds = [0, *cuts, steps + 1]
    number = int if step_ == 1 else float
    bands = []
    for first, after in itertools.pairwise(bounds):
        band: dict[str, Any] = {
            "low": number(start + first * step_),
            "high": number(start + (after - 1) * step_),
            "label": draw(TEXT),
        }
        _maybe(draw, band, "severity", st.integers(-3, 9))
        _maybe(draw, band, "meaning", TEXT)
        bands.append(band)
    return draw(st.permutations(bands))


@st.composite
def scales(draw, scorable: dict[str, tuple[int, int]], key: str, total: bool) -> dict:
    pool = sorted(scorable)
    if draw(st.booleans()):  # items sharing one range, so that the scale may allow missing answers
        shared = draw(st.sampled_from(sorted(set(scorable.values()))))
        pool = [member for member in pool if scorable[member] == shared]
    count = draw(st.integers(1, min(4, len(pool))))
    members = draw(st.lists(st.sampled_from(pool), min_size=count, max_size=count, unique=True))
    scale: dict[str, Any] = {"key": key, "label": draw(TEXT), "items": members}
    if total or draw(st.booleans()):
        scale["total"] = total
    _maybe(draw, scale, "method", st.sampled_from(["sum", "mean"]))
    shared_range = len({scorable[member] for member in members}) == 1
    if shared_range and len(members) > 1:
        scale["max_missing"] = draw(st.integers(0, len(members) - 1))
    else:
        _maybe(draw, scale, "max_missing", st.just(0))
    _maybe(draw, scale, "clinical_cutoff", st.one_of(st.none(), NUMBER))
    _maybe(draw, scale, "higher_is_worse", st.booleans())
    if draw(st.booleans()):
        scale["reference_sd"] = draw(st.floats(0.01, 100))
        scale["reliability"] = draw(st.floats(0, 0.999))
    elif draw(st.booleans()):
        scale["reference_sd"] = scale["reliability"] = None
    if draw(st.booleans()):
        spec = scoring.ScaleSpec(
            key=key,
            label="",
            items=[scoring.ItemSpec(member, *scorable[member]) for member in members],
            method=scale.get("method", "sum"),
            max_missing=scale.get("max_missing", 0),
        )
        scale["bands"] = draw(tiling_bands(*spec.score_range, spec.resolution))
    elif draw(st.booleans()):
        scale["bands"] = []
    return scale


@st.composite
def documents(draw) -> dict:
    """Valid-shaped instrument documents: every field of the right type, every reference resolvable."""
    doc: dict[str, Any] = {
        "format": document.FORMAT,
        "slug": draw(SLUG),
        "title": draw(st.tuples(st.sampled_from("ABCxyz"), TEXT).map("".join)),
    }
    _maybe(draw, doc, "version", st.text(max_size=40).filter(lambda text: "\x00" not in text))
    for field in ("description", "instructions", "copyright"):
        _maybe(draw, doc, field, TEXT)
    scale_keys = draw(st.lists(ITEM_KEY, max_size=2, unique=True))
    answer_scales = {key: draw(option_lists(scored=draw(st.integers(0, 3)) > 0)) for key in scale_keys}
    if answer_scales or draw(st.booleans()):
        doc["answer_scales"] = []
        for key, options in answer_scales.items():
            entry: dict[str, Any] = {"key": key, "options": options}
            _maybe(draw, entry, "label", TEXT)
            doc["answer_scales"].append(entry)
    doc["items"] = []
    questions: list[str] = []
    scorable: dict[str, tuple[int, int]] = {}
    count = draw(st.integers(1, 8))
    for index, key in enumerate(draw(st.lists(ITEM_KEY, min_size=count, max_size=count, unique=True))):
        # The first is a question: a document with nothing to answer is refused.
        kinds = document.QUESTION_TYPES if index == 0 else ("single_choice", "integer", *document.ITEM_TYPES)
        kind = draw(st.sampled_from(kinds))
        item, score_range = draw(items(key, kind, answer_scales, questions))
        doc["items"].append(item)
        if kind in document.QUESTION_TYPES:
            questions.append(key)
        if score_range:
            scorable[key] = score_range
    if scorable:
        keys = draw(st.lists(ITEM_KEY, max_size=3, unique=True))
        total_at = draw(st.integers(-1, len(keys) - 1))
        doc["scales"] = [draw(scales(scorable, key, index == total_at)) for index, key in enumerate(keys)]
        risky = draw(st.lists(st.sampled_from(sorted(scorable)), max_size=2, unique=True))
        doc["risk_items"] = []
        for key in risky:
            low, high = scorable[key]
            risk: dict[str, Any] = {
                "item": key,
                "threshold": draw(st.one_of(st.integers(low, high), st.floats(low, high))),
            }
            _maybe(draw, risk, "label", TEXT)
            doc["risk_items"].append(risk)
    return doc


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(documents())
def test_the_schema_accepts_every_document_the_importer_accepts(data: dict) -> None:
    try:
        doc = document.parse(copy.deepcopy(data))
    except document.DocumentError:
        event("the importer rejected the document")
        return
    event("the importer accepted the document")
    assert schema_errors(data) == []
    assert schema_errors(document.exported(doc)) == []


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(documents())
def test_the_strategy_makes_documents_the_importer_accepts(data: dict) -> None:
    """Keeps the property above from passing vacuously: its documents are meant to be valid."""
    document.parse(data)
