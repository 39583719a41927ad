"""Measures the library knows, recognised in an imported Questionnaire so that it keeps their scoring.

FHIR carries answer weights at most, never bands, cut-offs, direction, risk items or reliable change. A
Questionnaire that is a library measure (by its LOINC panel code on ``Questionnaire.code``, by its item
codes, or by a canonical URL listed here) gets the library's scoring profile applied to its own wording,
codes and linkIds, so it scores, bands and flags exactly as the library's copy does.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from assessments import document
from assessments.fhir.primitives import quote
from assessments.fhir.state import ImportState

LOINC = "http://loinc.org"
DATA = Path(__file__).resolve().parent.parent / "data"


@dataclass(frozen=True)
class Measure:
    """How a library measure is recognised: its panel codes, canonical URLs and scored item codes in order."""

    slug: str
    name: str
    panel_codes: tuple[str, ...]
    item_codes: tuple[str, ...]
    urls: tuple[str, ...] = ()


#: LOINC codes from the LOINC panels 44249-1 (PHQ-9) and 69737-5 (GAD-7), their items in published order.
MEASURES = (
    Measure(
        "phq-9",
        "PHQ-9",
        ("44249-1",),
        ("44250-9", "44255-8", "44259-0", "44254-1", "44251-7", "44258-2", "44252-5", "44253-3", "44260-8"),
        ("http://loinc.org/q/44249-1", "http://loinc.org/44249-1"),
    ),
    Measure(
        "gad-7",
        "GAD-7",
        ("69737-5",),
        ("69725-0", "68509-9", "69733-4", "69734-2", "69735-9", "69689-8", "69736-7"),
        ("http://loinc.org/q/69737-5", "http://loinc.org/69737-5"),
    ),
)


@lru_cache(maxsize=1)
def library_documents() -> dict[str, dict[str, Any]]:
    """The shipped library documents by slug, parsed; the last file of a slug (by name) is its current version."""
    found: dict[str, dict[str, Any]] = {}
    for path in sorted(DATA.glob("*.json")):
        doc = document.parse(json.loads(path.read_text(encoding="utf-8")))
        found[doc["slug"]] = doc
    return found


def item_codes(node: dict) -> set[str]:
    """An item's LOINC codes: its ``code`` list, and a linkId that is a code or ends in one (``/44250-9``)."""
    codes = loinc_codes(node.get("code"))
    link_id = node.get("linkId")
    if isinstance(link_id, str):
        codes.add(link_id.rstrip("/").rsplit("/", 1)[-1])
    return codes


def loinc_codes(raw: object) -> set[str]:
    """The LOINC codes (or codes without a system) in a list of Codings."""
    if not isinstance(raw, list):
        return set()
    return {
        entry["code"]
        for entry in raw
        if isinstance(entry, dict) and isinstance(entry.get("code"), str) and entry.get("system", LOINC) == LOINC
    }


def recognise(state: ImportState) -> tuple[Measure, str] | None:
    """The library measure the Questionnaire is, and how it was recognised; None if it is none of them."""
    resource = state.resource
    panel = loinc_codes(resource.get("code"))
    url = resource.get("url")
    url = url.split("|")[0] if isinstance(url, str) else ""
    found_codes = set().union(*state.codes.values()) if state.codes else set()
    for measure in MEASURES:
        if panel & set(measure.panel_codes):
            return measure, f"its LOINC panel code {sorted(panel & set(measure.panel_codes))[0]}"
        if url in measure.urls:
            return measure, f"its canonical URL {url}"
        if set(measure.item_codes) <= found_codes:
            return measure, "its LOINC item codes"
    return None


def apply_profile(state: ImportState, doc: dict[str, Any]) -> bool:
    """Give a recognised measure the library's scales and risk items; False (doc unchanged) when it cannot."""
    recognised = recognise(state)
    if recognised is None:
        return False
    measure, how = recognised
    library = library_documents().get(measure.slug)
    if library is None:
        return False
    mapping = _match_items(state, doc, measure, library)
    if mapping is None:
        state.note(
            f"This looks like the {measure.name} ({how}), but its questions do not match the library's, "
            "so the library's scoring was not applied."
        )
        return False
    by_library = {item["key"]: item for item in library["items"]}
    ours = {item["key"]: item for item in doc["items"]}
    for library_key, key in mapping.items():
        if not _take_weights(ours[key], by_library[library_key]):
            state.note(
                f"This looks like the {measure.name} ({how}), but the answers to {quote(key)} do not match the "
                "library's, so the library's scoring was not applied."
            )
            return False
    total_label = next((scale["label"] for scale in doc["scales"] if scale.get("total")), "")
    doc["scales"] = [
        _scale(scale, mapping, total_label) for scale in library["scales"] if set(scale["items"]) <= set(mapping)
    ]
    doc["risk_items"] = [
        {**risk, "item": mapping[risk["item"]]} for risk in library["risk_items"] if risk["item"] in mapping
    ]
    if not doc["copyright"]:
        doc["copyright"] = library["copyright"]
    state.note(
        f"Recognised as the {measure.name} by {how}: the library's scoring was applied to this file's own "
        "questions (bands, clinical cut-off, direction, risk items and reliable change)."
    )
    return True


def _match_items(state: ImportState, doc: dict, measure: Measure, library: dict) -> dict[str, str] | None:
    """Library item key → this file's item key, by item code, else in order among the file's scored questions."""
    scored = [key for scale in library["scales"] if scale["total"] for key in scale["items"]]
    if len(scored) != len(measure.item_codes):
        return None
    keys_by_code: dict[str, str] = {}
    for link_id, codes in state.codes.items():
        if link_id in state.imported and state.imported[link_id].item["type"] == "single_choice":
            for code in codes & set(measure.item_codes):
                keys_by_code.setdefault(code, state.imported[link_id].item["key"])
    if all(code in keys_by_code for code in measure.item_codes):
        return {library_key: keys_by_code[code] for library_key, code in zip(scored, measure.item_codes, strict=True)}
    total = next((scale["items"] for scale in doc["scales"] if scale.get("total")), [])
    if len(total) == len(scored):
        return dict(zip(scored, total, strict=True))
    return None


def _take_weights(item: dict, library_item: dict) -> bool:
    """Give an item the library's answer values, matched by code or label; False if any answer has no match
    or a weight the file gives differs from the library's."""
    if item["type"] != "single_choice":
        return False
    theirs = library_item["_options"]
    by_code = {option["code"]: option["value"] for option in theirs}
    by_label = {option["label"].strip().casefold(): option["value"] for option in theirs}
    values = []
    for option in item["options"]:
        value = by_code.get(option["code"], by_label.get(option["label"].strip().casefold()))
        if value is None and option["value"] is not None and option["value"] in by_code.values():
            value = option["value"]  # answers written as numbers, weighted as the library weights them
        if value is None or (option["value"] is not None and option["value"] != value):
            return False
        values.append(value)
    if sorted(values) != sorted(by_code.values()):
        return False
    for option, value in zip(item["options"], values, strict=True):
        option["value"] = value
    return True


def _scale(scale: dict, mapping: dict[str, str], total_label: str) -> dict:
    exported = dict(scale)
    exported["items"] = [mapping[key] for key in scale["items"]]
    if scale["total"] and total_label:
        exported["label"] = total_label
    return exported
