"""Checking answer options, given on one item or shared by several items through an answer scale."""

from __future__ import annotations

from typing import Any

from assessments.document.checker import Checker


def parse_answer_scales(check: Checker, top: dict) -> list[dict[str, Any]]:
    result = []
    seen: set[str] = set()
    for index, raw in enumerate(check.array(top, "answer_scales", "$")):
        where = f"$.answer_scales[{index}]"
        data = check.obj(raw, where, {"key", "label", "options"}, {"key", "options"})
        key = check.key(data, "key", where)
        if key and key in seen:
            check.add(f"{where}.key", f"repeats the answer scale {key!r}")
        seen.add(key)
        result.append(
            {
                "key": key,
                "label": check.text(data, "label", where, limit=200),
                "options": parse_options(check, check.array(data, "options", where), f"{where}.options"),
            }
        )
    return result


def parse_options(check: Checker, raw: list, path: str) -> list[dict[str, Any]]:
    options = []
    codes: set[str] = set()
    values: set[int] = set()
    if not raw:
        check.add(path, "needs at least one option")
    for index, option in enumerate(raw):
        where = f"{path}[{index}]"
        data = check.obj(option, where, {"code", "label", "value", "system"}, {"label"})
        value = check.integer(data, "value", where)
        code = _code(check, data, where, value, codes)
        if value is not None:
            if value in values:
                check.add(f"{where}.value", f"repeats the value {value}")
            values.add(value)
        codes.add(code)
        options.append(
            {
                "code": code,
                "label": check.text(data, "label", where, limit=500, required=True),
                "value": value,
                "system": check.text(data, "system", where, limit=500),
            }
        )
    return options


def _code(check: Checker, data: dict, where: str, value: int | None, codes: set[str]) -> str:
    """An option's code, which defaults to its value and must differ from the codes before it."""
    code = data.get("code", None if value is None else str(value))
    if not isinstance(code, str) or not code or len(code) > 200:
        check.add(f"{where}.code", "must be non-empty text (it defaults to the value)")
        return ""
    if code in codes:
        check.add(f"{where}.code", f"repeats the code {code!r}")
    return code


def resolved_options(item: dict, answer_scales: dict[str, dict]) -> list[dict]:
    """An item's own options, or those of the answer scale it names."""
    if item["answer_scale"]:
        return answer_scales[item["answer_scale"]]["options"]
    return item["options"]
