"""A parsed document in its canonical form, the one Tandem exports and stores for people to read."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

ITEM_DEFAULTS: dict[str, Any] = {
    "required": False,
    "reverse_keyed": False,
    "healthy": None,
    "answer_scale": "",
    "options": [],
    "min": None,
    "max": None,
    "enable_when": None,
}


def exported(doc: Mapping[str, Any]) -> dict[str, Any]:
    """A parsed document in its canonical form for ``json.dumps``: item fields at their defaults, an empty
    ``url`` and a false ``couples``, are left out."""
    clean = dict(doc)
    for optional in ("url", "couples"):  # left out when empty or false, as documents written before them did
        if not clean.get(optional):
            clean.pop(optional, None)
    clean["items"] = [
        {
            key: [_exported_option(option) for option in value] if key == "options" else value
            for key, value in item.items()
            if not key.startswith("_") and not (key in ITEM_DEFAULTS and value == ITEM_DEFAULTS[key])
        }
        for item in doc["items"]
    ]
    # A scale without a reliable-change threshold leaves the field out, as documents written before it did.
    clean["scales"] = [
        {key: value for key, value in scale.items() if not (key == "reliable_change" and value is None)}
        for scale in doc["scales"]
    ]
    clean["answer_scales"] = [
        {**scale, "options": [_exported_option(option) for option in scale["options"]]}
        for scale in doc["answer_scales"]
    ]
    return clean


def _exported_option(option: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in option.items() if not (key == "system" and not value)}
