"""Working with a respondent's answers at run time: checking them, scoring them, storing the result.

Answers are keyed by item key: option codes (or option values) for choice items, numbers for
integer items, text for text items.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from assessments import scoring
from assessments.document.conditions import enabled_keys
from assessments.document.format import MAX_TEXT, QUESTION_TYPES, UNSTORABLE, is_int
from assessments.document.rules import scorable, spec_from_document


def answers_to_values(doc: Mapping[str, Any], answers: Mapping[str, object]) -> dict[str, int | None]:
    """Turn answers keyed by item key (option codes, option values or numbers) into scoring values.

    Unknown keys, unknown codes and out-of-range numbers raise ``scoring.ScoringError`` naming the
    item. Answers to unscored items (free text, multiple choice) are checked but not returned.
    """
    items = {item["key"]: item for item in doc["items"]}
    values: dict[str, int | None] = {}
    for key, raw in answers.items():
        item = items.get(key)
        if item is None or item["type"] not in QUESTION_TYPES:
            raise scoring.ScoringError(str(key)[:100], f"There is no question {str(key)[:100]!r} in this instrument.")
        value = _answer_value(item, raw)
        if scorable(item):
            values[key] = value
    return values


def _answer_value(item: dict, raw: object) -> int | None:
    if raw is None or raw == "" or raw == []:
        return None
    check = {
        "single_choice": _single_choice_value,
        "multiple_choice": _multiple_choice_value,
        "integer": _integer_value,
    }.get(item["type"], _text_value)
    return check(item, raw)


def _single_choice_value(item: dict, raw: object) -> int | None:
    for option in item.get("_options") or item["options"]:
        if raw == option["code"] or (is_int(raw) and raw == option["value"]):
            return option["value"]
    raise scoring.ScoringError(item["key"], f"{_short(raw)} is not one of the answers to {item['key']!r}.")


def _multiple_choice_value(item: dict, raw: object) -> None:
    codes = {option["code"] for option in item.get("_options") or item["options"]}
    if not isinstance(raw, list) or not all(isinstance(code, str) and code in codes for code in raw):
        raise scoring.ScoringError(item["key"], f"The answer to {item['key']!r} must be a list of its option codes.")


def _integer_value(item: dict, raw: object) -> int:
    key = item["key"]
    if not is_int(raw):
        raise scoring.ScoringError(key, f"The answer to {key!r} must be a whole number, not {_short(raw)}.")
    if (item["min"] is not None and raw < item["min"]) or (item["max"] is not None and raw > item["max"]):
        raise scoring.ScoringError(key, f"{raw} is outside the range {item['min']} to {item['max']} of {key!r}.")
    return raw


def _text_value(item: dict, raw: object) -> None:
    if not isinstance(raw, str) or len(raw) > MAX_TEXT or UNSTORABLE.search(raw):
        key = item["key"]
        raise scoring.ScoringError(key, f"The answer to {key!r} must be text of at most {MAX_TEXT} characters.")


def score_document(doc: Mapping[str, Any], answers: Mapping[str, object]) -> scoring.ScoreResult:
    """Score answers; items hidden by their conditions are not applicable, so neither answered nor missing."""
    values = answers_to_values(doc, answers)
    shown = enabled_keys(doc, answers)
    hidden = {item["key"] for item in doc["items"] if item["key"] not in shown and scorable(item)}
    return scoring.score(
        spec_from_document(doc),
        {key: value for key, value in values.items() if key in shown},
        not_applicable=hidden,
    )


def result_as_json(result: scoring.ScoreResult) -> dict[str, Any]:
    """A score result as plain JSON, for storage, the API and ``score_answers``."""
    return {
        "instrument": result.instrument,
        "scales": {scale.key: _scale_as_json(scale) for scale in result.scales},
        "risk_flags": [
            {"item": flag.item_key, "value": flag.value, "threshold": flag.threshold, "label": flag.label}
            for flag in result.risk_flags
        ],
        "unanswered_risk_items": list(result.unanswered_risk_items),
    }


def _scale_as_json(scale: scoring.ScaleResult) -> dict[str, Any]:
    return {
        "label": scale.label,
        "value": scale.value,
        "band": scale.band.label if scale.band else None,
        "severity": scale.band.severity if scale.band else None,
        "clinical": scale.clinical,
        "answered": scale.answered,
        "missing": list(scale.missing),
        "prorated": scale.prorated,
        "reason": scale.reason,
        "not_applicable": list(scale.not_applicable),
    }


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
