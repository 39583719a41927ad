"""Evaluating ``enable_when`` on a respondent's answers: which items are shown, and so which answers count."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def enabled_keys(doc: Mapping[str, Any], answers: Mapping[str, object]) -> set[str]:
    """The items shown for these answers; an item whose condition fails is hidden, and so is its answer.

    Conditions only look back, so one pass in order is enough; an answer to a hidden item counts
    as no answer for the items that depend on it.
    """
    shown: set[str] = set()
    effective: dict[str, object] = {}
    for item in doc["items"]:
        rule = item["enable_when"]
        if rule is not None:
            results = [_condition_holds(doc, condition, effective) for condition in rule["conditions"]]
            if not (all(results) if rule["behavior"] == "all" else any(results)):
                continue
        shown.add(item["key"])
        if item["key"] in answers:
            effective[item["key"]] = answers[item["key"]]
    return shown


def _condition_holds(doc: Mapping[str, Any], condition: Mapping[str, Any], answers: Mapping[str, object]) -> bool:
    raw = answers.get(condition["item"])
    present = raw not in (None, "", [])
    operator, expected = condition["operator"], condition["answer"]
    if operator == "exists":
        return present == expected
    if not present or isinstance(raw, bool):
        return False
    item = next(item for item in doc["items"] if item["key"] == condition["item"])
    if isinstance(raw, list):  # multiple choice: any chosen code may satisfy = / !=
        return (str(expected) in raw) == (operator == "=") if operator in ("=", "!=") else False
    actual: object = raw
    if item["type"] == "single_choice":
        option = next((o for o in item["_options"] if raw in (o["code"], o["value"])), None)
        if option is None:
            return False
        if operator in ("=", "!=") and isinstance(expected, str):
            return (option["code"] == expected) == (operator == "=")
        actual = option["value"]
        if isinstance(expected, str):
            target = next((o for o in item["_options"] if o["code"] == expected), None)
            expected = target["value"] if target else None
    return _compare(actual, operator, expected)


def _compare(actual: object, operator: str, expected: object) -> bool:
    """Compare an answer with a condition's value: equality for anything, order only for numbers."""
    if operator in ("=", "!="):
        return (actual == expected) == (operator == "=")
    if not isinstance(actual, int | float) or isinstance(actual, bool) or not isinstance(expected, int | float):
        return False
    return {">": actual > expected, ">=": actual >= expected, "<": actual < expected, "<=": actual <= expected}[
        operator
    ]
