"""Checking the items of a document, and the conditions (``enable_when``) that show or hide them."""

from __future__ import annotations

from typing import Any

from assessments.document.checker import Checker
from assessments.document.couples import parse_healthy
from assessments.document.format import (
    ITEM_FIELDS,
    ITEM_TYPES,
    KEY_PATTERN,
    OPERATORS,
    QUESTION_TYPES,
    is_finite,
)
from assessments.document.options import parse_options, resolved_options

CHOICE_TYPES = ("single_choice", "multiple_choice")


def parse_items(check: Checker, top: dict, answer_scales: dict[str, dict]) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    seen: dict[str, dict] = {}
    for index, raw in enumerate(check.array(top, "items", "$")):
        item = _item(check, raw, index, answer_scales, seen)
        items.append(item)
        seen[item["key"]] = item
    if not items and not any(p.path.startswith("$.items") for p in check.problems):
        check.add("$.items", "needs at least one item")
    elif items and not any(item["type"] in QUESTION_TYPES for item in items):
        check.add("$.items", f"has no question to answer: at least one item must be {', '.join(QUESTION_TYPES)}")
    for item in items:
        item["_options"] = resolved_options(item, answer_scales)
    return items


def _item(check: Checker, raw: object, index: int, answer_scales: dict[str, dict], seen: dict[str, dict]) -> dict:
    """One item, its fields in the canonical order; ``seen`` holds the items before it."""
    where = f"$.items[{index}]"
    data = check.obj(raw, where, set(ITEM_FIELDS), {"key", "type", "text"})
    key = _key(check, data, where, index, seen)
    kind = _kind(check, data, where)
    item: dict[str, Any] = {"key": key, "type": kind, "text": check.text(data, "text", where, required=True)}
    item["required"] = check.flag(data, "required", where, False)
    if item["required"] and kind not in QUESTION_TYPES:
        check.add(f"{where}.required", f"a {kind} item asks nothing, so it cannot be required")
    item["reverse_keyed"] = check.flag(data, "reverse_keyed", where, False)
    if item["reverse_keyed"] and kind != "single_choice":
        check.add(f"{where}.reverse_keyed", "only single-choice items can be reverse-keyed")
    item["healthy"] = parse_healthy(check, data, where, kind)
    item["answer_scale"], item["options"] = _choices(check, data, where, kind, answer_scales)
    item["min"], item["max"] = _bounds(check, data, where, kind)
    item["enable_when"] = _enable_when(check, data.get("enable_when"), f"{where}.enable_when", key, seen)
    return item


def _key(check: Checker, data: dict, where: str, index: int, seen: dict[str, dict]) -> str:
    key = data.get("key")
    if not isinstance(key, str) or not KEY_PATTERN.fullmatch(key):
        check.add(f"{where}.key", "must be text of 1 to 100 characters without spaces")
        return f"#{index}"
    if key in seen:
        check.add(f"{where}.key", f"repeats the item key {key!r}")
    return key


def _kind(check: Checker, data: dict, where: str) -> str:
    kind = data.get("type")
    if kind not in ITEM_TYPES:
        check.add(f"{where}.type", f"must be one of {', '.join(ITEM_TYPES)}, not {kind!r}")
        return "display"
    return kind


def _choices(
    check: Checker, data: dict, where: str, kind: str, answer_scales: dict[str, dict]
) -> tuple[str, list[dict[str, Any]]]:
    """The answer scale a choice item names, or its own options; other items have neither."""
    if kind not in CHOICE_TYPES:
        for extra in ("answer_scale", "options"):
            if extra in data:
                check.add(f"{where}.{extra}", f"a {kind} item has no options")
        return "", []
    if "answer_scale" in data and "options" in data:
        check.add(where, "give either answer_scale or options, not both")
        return "", []
    if "answer_scale" in data:
        ref = data["answer_scale"]
        if not isinstance(ref, str) or ref not in answer_scales:
            check.add(f"{where}.answer_scale", f"names no answer scale in $.answer_scales: {ref!r}")
            return "", []
        return ref, []
    return "", parse_options(check, check.array(data, "options", where), f"{where}.options")


def _bounds(check: Checker, data: dict, where: str, kind: str) -> tuple[int | None, int | None]:
    low, high = check.integer(data, "min", where), check.integer(data, "max", where)
    if kind != "integer":
        for extra in ("min", "max"):
            if extra in data:
                check.add(f"{where}.{extra}", "only integer items have a minimum and maximum")
    elif low is not None and high is not None and low > high:
        check.add(f"{where}.min", f"is above max ({low} > {high})")
    return low, high


def _enable_when(check: Checker, raw: object, path: str, key: str, earlier: dict[str, dict]) -> dict | None:
    if raw is None:
        return None
    data = check.obj(raw, path, {"behavior", "conditions"}, {"conditions"})
    behavior = data.get("behavior", "all")
    if behavior not in ("all", "any"):
        check.add(f"{path}.behavior", f"must be 'all' or 'any', not {behavior!r}")
    raw_conditions = check.array(data, "conditions", path)
    if data and not raw_conditions:
        check.add(f"{path}.conditions", "needs at least one condition")
    conditions = [
        _condition(check, condition, f"{path}.conditions[{index}]", key, earlier)
        for index, condition in enumerate(raw_conditions)
    ]
    return {"behavior": behavior, "conditions": conditions}


def _condition(check: Checker, raw: object, where: str, key: str, earlier: dict[str, dict]) -> dict:
    """One condition: it names an earlier question and compares its answer with an operator."""
    cond = check.obj(raw, where, {"item", "operator", "answer"}, {"item", "operator"})
    target = cond.get("item")
    operator = cond.get("operator")
    _check_target(check, target, where, key, earlier)
    if operator not in OPERATORS:
        check.add(f"{where}.operator", f"must be one of {', '.join(OPERATORS)}, not {operator!r}")
    answer = cond.get("answer")
    if operator == "exists":
        if not isinstance(answer, bool):
            check.add(f"{where}.answer", "must be true or false for 'exists'")
    elif isinstance(answer, bool) or not isinstance(answer, str | int | float) or not is_finite(answer):
        check.add(f"{where}.answer", "must be an option code or a finite number")
    elif isinstance(answer, str) and len(answer) > 200:
        check.add(f"{where}.answer", "is longer than 200 characters")
    return {"item": target, "operator": operator, "answer": answer}


def _check_target(check: Checker, target: object, where: str, key: str, earlier: dict[str, dict]) -> None:
    """Conditions only look back, at questions, so they can never loop."""
    if not isinstance(target, str):
        check.add(f"{where}.item", "must be the key of an earlier question")
    elif target == key:
        check.add(f"{where}.item", "an item cannot depend on itself")
    elif target not in earlier:
        check.add(f"{where}.item", f"must name an earlier question, not {target!r} (conditions cannot loop)")
    elif earlier[target]["type"] not in QUESTION_TYPES:
        check.add(f"{where}.item", f"{target!r} asks nothing, so nothing can depend on its answer")
