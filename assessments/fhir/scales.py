"""Scores from a Questionnaire: answer weights (``ordinalValue`` and friends) and the calculated total.

FHIR has no standard place for bands, subscales, proration or risk items, so an import yields at
most one scale: the sum of every fully weighted single-choice item.
"""

from __future__ import annotations

from typing import Any

from assessments.fhir.extensions import WEIGHT_URLS, extension, is_calculated
from assessments.fhir.primitives import FAIL, MAX_NUMBER, clean, number
from assessments.fhir.state import ImportState, Option

TOTAL_KEY = "total"
#: The types a calculated total comes in: public files use all three.
TOTAL_TYPES = ("integer", "decimal", "quantity")
TOTAL_LABEL = "Total score"


def weight(state: ImportState, holders: list[dict], link_id: str, where: str) -> object:
    """The first weight extension found, as a whole number; FAIL (after a warning) for one that is not."""
    for holder in holders:
        for url in WEIGHT_URLS:
            found = extension(holder, url)
            if found is not None:
                return _whole_weight(state, found.get("valueDecimal", found.get("valueInteger")), link_id, where)
    return None


def _whole_weight(state: ImportState, raw: object, link_id: str, where: str) -> object:
    value = number(raw)
    if value is None:
        state.warn(link_id, f"{where} has a weight that is not a number; the item is not scored.")
        return FAIL
    if abs(value) > MAX_NUMBER:
        state.warn(link_id, f"{where} has a weight beyond ±10⁹; the item is not scored.")
        return FAIL
    if not float(value).is_integer():
        state.warn(link_id, f"{where} has a weight that is not a whole number; the item is not scored.")
        return FAIL
    return int(value)


def check_weights(state: ImportState, options: list[Option], link_id: str, multiple: bool) -> None:
    """Keep an item's weights only if scoring can use them: all present, all different, on a single choice."""
    weights = [option.value for option in options]
    given = [w for w in weights if w is not None]
    if any(w is FAIL for w in weights):
        valid = False
    elif len(set(given)) < len(given):
        state.warn(link_id, "two answers have the same weight, which Tandem cannot tell apart; the item is not scored.")
        valid = False
    else:
        valid = True
        if any(w is None for w in weights) and given:
            state.warn(link_id, "only some answers have weights, so the item is not scored.")
        elif multiple and given:
            state.warn(link_id, "answers to a multiple-choice item are not scored, so it stays out of the total.")
    if not valid:
        for option in options:
            option.value = None


def is_total(node: dict, kind: str) -> bool:
    """Whether a number item is the questionnaire's total: calculated, or read-only and called a total score."""
    if kind not in TOTAL_TYPES:
        return False
    if is_calculated(node):
        return True
    if node.get("readOnly") is not True:
        return False
    labels = [node.get("text")]
    codes = node.get("code")
    if isinstance(codes, list):
        labels.extend(code.get("display") for code in codes if isinstance(code, dict))
    return any(isinstance(label, str) and "total score" in label.lower() for label in labels)


def take_total(state: ImportState, node: dict, link_id: str) -> None:
    """The first total names the total scale (by its text, else its code's display); further ones are skipped."""
    if state.total is None:
        state.total = (link_id, total_label(node))
    else:
        state.warn(link_id, "only one calculated score can become the total; this one was skipped.")


def total_label(node: dict) -> str:
    codes = node.get("code")
    labels = (
        [node.get("text"), *(code.get("display") for code in codes if isinstance(code, dict))]
        if isinstance(codes, list)
        else [node.get("text")]
    )
    return next((clean(label, 200).strip() for label in labels if isinstance(label, str) and label.strip()), "")


def report_what_is_missing(state: ImportState, doc: dict[str, Any]) -> None:
    """What a scored questionnaire the library does not know lacks before it can be published and flag risk."""
    for scale in doc["scales"]:
        if not scale["bands"]:
            state.note(
                f"Scale {scale['key']!r} needs bands before it can be published: FHIR has no place for them, so add "
                "them (and check the clinical cut-off and direction)."
            )
    if doc["scales"] and not doc["risk_items"]:
        state.note(
            "No risk items are set: no answer raises a flag whatever the score, so set any question that needs "
            "attention on its own (such as one about self-harm)."
        )


def total_scales(state: ImportState) -> list[dict[str, Any]]:
    """The total scale over every weighted item, or none if no item carries weights."""
    weighted = [
        item["key"]
        for item in state.items
        if item["type"] == "single_choice"
        and all(option["value"] is not None for option in item["options"])
        and len({option["value"] for option in item["options"]}) > 1
    ]
    if not weighted:
        if state.total is not None:
            state.warn(state.total[0], "no answers carry weights, so there is no total to calculate; skipped.")
        return []
    label = state.total[1].strip() if state.total else ""
    return [
        {
            "key": TOTAL_KEY,
            "label": label or TOTAL_LABEL,
            "total": True,
            "items": weighted,
            "method": "sum",
            "max_missing": 0,
            "bands": [],
        }
    ]
