"""The form a respondent sees: items split into pages at each section heading."""

from __future__ import annotations

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
