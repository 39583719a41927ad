"""Items, in document order: groups become sections followed by their children, questions become items.

Anything a document cannot ask (calculated or read-only items, unsupported types) is skipped with a
warning naming its linkId; a calculated total becomes the total scale instead. A hidden item
(``questionnaire-hidden``, such as a scoring key meant for staff) is left out with everything in it,
so it never reaches a respondent.
"""

from __future__ import annotations

from typing import Any

from assessments.document import MAX_TEXT
from assessments.fhir import conditions, measures, options, scales
from assessments.fhir.extensions import MAX_VALUE, MIN_VALUE, extension, is_calculated, is_hidden
from assessments.fhir.primitives import MAX_NUMBER, clean, is_int, kind_of, quote
from assessments.fhir.state import Imported, ImportState, Option

CHOICE_TYPES = ("choice", "open-choice", "coding")
AS_TEXT = ("string", "text")
TEXT_LIKE = ("date", "dateTime", "time", "url")
BOOLEAN_OPTIONS = ({"code": "yes", "label": "Yes", "value": None}, {"code": "no", "label": "No", "value": None})


def convert_children(state: ImportState, container: dict, inherited: dict | None) -> None:
    """Convert the items under ``container``, each under its own condition and its groups' (``inherited``)."""
    for node in container.get("item", []):
        link_id = node["linkId"]
        if is_hidden(node) and not scales.is_total(node, node["type"]):
            _leave_hidden(state, node, link_id)
            continue
        state.codes[link_id] = measures.item_codes(node)
        effective = conditions.combine(state, inherited, conditions.enable_when(state, node, link_id), link_id)
        item = convert(state, node, link_id, node["type"], effective)
        if item is None:
            state.skipped.add(link_id)
        else:
            state.items.append(item.item)
            state.imported[link_id] = item
        convert_children(state, node, effective)


def _leave_hidden(state: ImportState, node: dict, link_id: str) -> None:
    """A hidden item and everything in it stay out of the document, so no respondent ever sees them."""
    state.warn(link_id, "is hidden (questionnaire-hidden), so it was left out, with any items in it.")
    pending = [node]
    while pending:
        current = pending.pop()
        state.skipped.add(current["linkId"])
        pending.extend(child for child in current.get("item", []) if isinstance(child, dict))


def convert(state: ImportState, node: dict, link_id: str, kind: str, enable_when: dict | None) -> Imported | None:
    """One item as a document item, or None (after a warning) for one a respondent would not be asked."""
    base: dict[str, Any] = {"key": state.keys[link_id], "type": "", "text": item_text(state, node, link_id)}
    if enable_when is not None:
        base["enable_when"] = enable_when
    if kind in ("group", "display"):
        return _heading(state, node, link_id, kind, base)
    if not _askable(state, node, link_id, kind):
        return None
    if node.get("repeats") is True and kind not in CHOICE_TYPES:
        state.warn(link_id, f"repeated answers to a {kind} item are not supported; it takes one answer.")
    result = _question(state, node, link_id, kind, base)
    if result is not None:
        _required(state, node, link_id, result)
    return result


def _heading(state: ImportState, node: dict, link_id: str, kind: str, base: dict) -> Imported:
    if node.get("repeats") is True and kind == "group":
        state.warn(link_id, "repeating groups are not supported; it is asked once.")
    if node.get("item") and kind == "display":
        state.warn(link_id, "a display item cannot hold other items; they follow it instead.")
    return Imported({**base, "type": "section" if kind == "group" else "display"}, [])


def _askable(state: ImportState, node: dict, link_id: str, kind: str) -> bool:
    """Whether the respondent answers this item; a calculated total is kept aside for the total scale."""
    if scales.is_total(node, kind):
        scales.take_total(state, node, link_id)
        return False
    if is_calculated(node):
        state.leave_out(link_id, f"a calculated {kind} item asks the respondent nothing; skipped.")
        return False
    if node.get("readOnly") is True:
        state.leave_out(link_id, "read-only items are not supported (the respondent could not answer it); skipped.")
        return False
    return True


def _question(state: ImportState, node: dict, link_id: str, kind: str, base: dict) -> Imported | None:
    if kind in CHOICE_TYPES:
        return options.choice(state, node, link_id, base)
    if kind == "boolean":
        return Imported(
            {**base, "type": "single_choice", "options": [dict(option) for option in BOOLEAN_OPTIONS]},
            [Option(o["code"], o["label"], "", None, ("boolean", o["code"], None)) for o in BOOLEAN_OPTIONS],
            boolean=True,
        )
    if kind == "integer":
        return Imported({**base, "type": "integer", **bounds(state, node, link_id)}, [])
    if kind in AS_TEXT:
        return Imported({**base, "type": "text"}, [])
    if kind in TEXT_LIKE:
        state.warn(link_id, f"{kind} answers are not supported, so it is asked as free text.")
        return Imported({**base, "type": "text"}, [])
    state.leave_out(link_id, f"{quote(kind)} items are not supported; skipped.")
    return None


def _required(state: ImportState, node: dict, link_id: str, result: Imported) -> None:
    if "required" not in node:
        return
    if not isinstance(node["required"], bool):
        state.warn(link_id, "required must be true or false; ignored.")
    elif node["required"]:
        result.item["required"] = True


def item_text(state: ImportState, node: dict, link_id: str) -> str:
    text = node.get("text")
    if text is None:
        return ""
    if not isinstance(text, str):
        state.warn(link_id, f"its text must be text, not {kind_of(text)}; left empty.")
        return ""
    if len(text) > MAX_TEXT:
        state.warn(link_id, f"its text is longer than {MAX_TEXT} characters and was shortened.")
    return clean(text, MAX_TEXT)


def bounds(state: ImportState, node: dict, link_id: str) -> dict[str, int]:
    """An integer item's minValue and maxValue, where both are usable."""
    found: dict[str, int] = {}
    for name, url in (("min", MIN_VALUE), ("max", MAX_VALUE)):
        entry = extension(node, url)
        if entry is None:
            continue
        value = entry.get("valueInteger")
        if is_int(value) and abs(value) <= MAX_NUMBER:
            found[name] = value
        else:
            state.warn(link_id, f"its {name}Value must be a whole number (valueInteger) within ±10⁹; ignored.")
    if "min" in found and "max" in found and found["min"] > found["max"]:
        state.warn(link_id, "its minValue is above its maxValue; both ignored.")
        return {}
    return found
