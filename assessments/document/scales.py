"""Checking what a document scores: its scales with their bands, and the risk items flagged on their own."""

from __future__ import annotations

from typing import Any

from assessments.document.checker import Checker
from assessments.document.rules import scorable

SCALE_FIELDS = {
    "key",
    "label",
    "total",
    "items",
    "method",
    "max_missing",
    "clinical_cutoff",
    "higher_is_worse",
    "reference_sd",
    "reliability",
    "reliable_change",
    "bands",
}
RELIABLE_CHANGE_FIELDS = {"threshold", "source"}


def parse_scales(check: Checker, top: dict, items: dict[str, dict]) -> list[dict[str, Any]]:
    scales = []
    seen: set[str] = set()
    for index, raw in enumerate(check.array(top, "scales", "$")):
        scales.append(_scale(check, raw, f"$.scales[{index}]", items, seen))
    if sum(scale["total"] for scale in scales) > 1:
        check.add("$.scales", "only one scale can be the total")
    return scales


def _scale(check: Checker, raw: object, where: str, items: dict[str, dict], seen: set[str]) -> dict[str, Any]:
    data = check.obj(raw, where, SCALE_FIELDS, {"key", "label", "items"})
    key = check.key(data, "key", where)
    if key and key in seen:
        check.add(f"{where}.key", f"repeats the scale key {key!r}")
    seen.add(key)
    members = check.array(data, "items", where)
    _check_members(check, members, where, items)
    method = data.get("method", "sum")
    if method not in ("sum", "mean"):
        check.add(f"{where}.method", f"must be 'sum' or 'mean', not {method!r}")
    total = check.flag(data, "total", where, False)
    bands = [
        _band(check, band, f"{where}.bands[{position}]")
        for position, band in enumerate(check.array(data, "bands", where))
    ]
    return {
        "key": key,
        "label": check.text(data, "label", where, limit=200),
        "total": total,
        "items": list(members),
        "method": method,
        "max_missing": check.integer(data, "max_missing", where, 0),
        "clinical_cutoff": check.number(data, "clinical_cutoff", where),
        "higher_is_worse": check.flag(data, "higher_is_worse", where, True),
        "reference_sd": check.number(data, "reference_sd", where),
        "reliability": check.number(data, "reliability", where),
        "reliable_change": _reliable_change(check, data, where),
        "bands": bands,
    }


def _reliable_change(check: Checker, scale: dict, where: str) -> dict[str, Any] | None:
    """A published reliable-change threshold in points, instead of a reference SD and reliability."""
    raw = scale.get("reliable_change")
    if raw is None:
        return None
    at = f"{where}.reliable_change"
    data = check.obj(raw, at, RELIABLE_CHANGE_FIELDS, {"threshold"})
    threshold = check.number(data, "threshold", at, required=True)
    if threshold is not None and threshold <= 0:
        check.add(f"{at}.threshold", f"must be above 0, not {threshold!r}")
    if scale.get("reference_sd") is not None or scale.get("reliability") is not None:
        check.add(at, "give a reliable-change threshold or reference_sd and reliability, not both")
    return {"threshold": threshold, "source": check.text(data, "source", at)}


def _check_members(check: Checker, members: list, where: str, items: dict[str, dict]) -> None:
    for position, member in enumerate(members):
        if not isinstance(member, str) or member not in items:
            check.add(f"{where}.items[{position}]", f"names no item: {member!r}")
        elif not scorable(items[member]):
            check.add(
                f"{where}.items[{position}]",
                f"{member!r} cannot be scored (only single-choice items with numeric values and "
                "integer items with a minimum and maximum can)",
            )


def _band(check: Checker, band: object, at: str) -> dict[str, Any]:
    data = check.obj(band, at, {"low", "high", "label", "severity", "meaning"}, {"low", "high", "label"})
    return {
        "low": check.number(data, "low", at, required=True),
        "high": check.number(data, "high", at, required=True),
        "label": check.text(data, "label", at, limit=100, required=True),
        "severity": check.integer(data, "severity", at, 0) or 0,
        "meaning": check.text(data, "meaning", at),
    }


def parse_risk_items(check: Checker, top: dict, items: dict[str, dict]) -> list[dict[str, Any]]:
    result = []
    listed: set[str] = set()
    for index, raw in enumerate(check.array(top, "risk_items", "$")):
        where = f"$.risk_items[{index}]"
        data = check.obj(raw, where, {"item", "threshold", "label"}, {"item", "threshold"})
        key = data.get("item")
        if isinstance(key, str) and key in listed:
            check.add(f"{where}.item", f"lists {key!r} a second time; give each question one threshold")
        if isinstance(key, str):
            listed.add(key)
        if not isinstance(key, str) or key not in items:
            check.add(f"{where}.item", f"names no item: {key!r}")
        elif not scorable(items[key]):
            check.add(f"{where}.item", f"{key!r} has no numeric answers to compare with a threshold")
        result.append(
            {
                "item": key,
                "threshold": check.number(data, "threshold", where),
                "label": check.text(data, "label", where),
            }
        )
    return result
