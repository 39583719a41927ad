"""Questionnaires suited to couples: the instrument's ``couples`` flag and each question's healthy direction.

Two partners' answers are compared item by item against the direction that is healthy for the
relationship (:mod:`assessments.agreement`). A question states it with ``healthy`` (``"high"``: higher
answer values are healthy, ``"low"``: lower ones are); by default it is derived from the scoring, that is
from reverse keying and the direction of the question's scales.
"""

from __future__ import annotations

from typing import Any

from assessments.document.checker import Checker
from assessments.document.rules import scorable

HEALTHY = ("high", "low")


def parse_healthy(check: Checker, data: dict, where: str, kind: str) -> str | None:
    """An item's stated healthy direction: ``"high"``, ``"low"`` or None (derived from its scoring)."""
    value = data.get("healthy")
    if value is None:
        return None
    if value not in HEALTHY:
        check.add(f"{where}.healthy", f"must be 'high', 'low' or null, not {value!r}")
        return None
    if kind not in ("single_choice", "integer"):
        check.add(f"{where}.healthy", f"a {kind} item has no answer values to compare")
        return None
    return value


def derive_healthy(check: Checker, doc: dict[str, Any]) -> None:
    """Give each scorable item its effective direction in ``_healthy`` (None where it cannot be derived).

    A stated ``healthy`` wins. Otherwise the answers whose contribution (after reverse keying) moves the
    item's scales the better way are healthy: with ``higher_is_worse`` false (the instrument's scales say
    a higher score is better) high answers are healthy, and a reverse-keyed item turns that round. An item
    in no scale, or in scales that disagree about which way is better, has no derived direction; a couples
    questionnaire must then state it, so that no question is compared the wrong way round.
    """
    for index, item in enumerate(doc["items"]):
        if not scorable(item):
            if item.get("healthy") is not None:
                check.add(f"$.items[{index}].healthy", f"{item['key']!r} cannot be scored, so it has no direction")
            item["_healthy"] = None
            continue
        item["_healthy"] = item["healthy"] or _derived(doc, item)
        if doc["couples"] and item["_healthy"] is None:
            check.add(
                f"$.items[{index}].healthy",
                f"state which answers to {item['key']!r} are healthy ('high' or 'low'): it is in no scale, or in "
                "scales that disagree about which way is better",
            )
    if doc["couples"] and not any(item.get("_healthy") for item in doc["items"]):
        check.add("$.couples", "a couples questionnaire needs questions with numeric answers to compare")


def _derived(doc: dict[str, Any], item: dict[str, Any]) -> str | None:
    worse = {scale["higher_is_worse"] for scale in doc["scales"] if item["key"] in scale["items"]}
    if len(worse) != 1:
        return None
    high_is_healthy = not worse.pop()
    if item["reverse_keyed"]:
        high_is_healthy = not high_is_healthy
    return "high" if high_is_healthy else "low"
