"""The form a respondent sees: items split into pages at each section heading."""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import Any


def pages(doc: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Split the items into pages at each section heading; each item carries its resolved options."""
    result: list[dict[str, Any]] = []
    for item in doc["items"]:
        if item["type"] == "section" or not result:
            result.append({"heading": item["text"] if item["type"] == "section" else "", "items": []})
            if item["type"] == "section":
                continue
        result[-1]["items"].append({**item, "choices": item.get("_options") or item["options"]})
    return result


def shuffled(items: list[dict[str, Any]], seed: int | None) -> list[dict[str, Any]]:
    """A page's items with its questions in an order drawn from ``seed`` (None: as they are).

    Headings and text to read keep their places, and so do questions with a condition and the
    questions a condition on this page looks at, so a question never comes before what shows it.
    The order always differs from the document's when at least two questions can move.
    """
    if seed is None:
        return items
    watched = {
        condition["item"] for item in items if item["enable_when"] for condition in item["enable_when"]["conditions"]
    }
    slots = [
        index
        for index, item in enumerate(items)
        if item["type"] in ("single_choice", "multiple_choice", "integer", "text")
        and not item["enable_when"]
        and item["key"] not in watched
    ]
    if len(slots) < 2:
        return items
    order = list(slots)
    random.Random(seed).shuffle(order)  # noqa: S311 - an order to read questions in, not a secret
    if order == slots:
        order = order[1:] + order[:1]
    result = list(items)
    for slot, source in zip(slots, order, strict=True):
        result[slot] = items[source]
    return result
