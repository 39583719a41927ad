"""Exporting to FHIR R4: a document as a Questionnaire, answers as a QuestionnaireResponse.

Sections become groups; scores travel as answer weights (the standard ``ordinalValue`` extension)
and the total as a calculated, read-only item that keeps its label, since FHIR has no standard place
for bands, subscales, proration or risk items. The canonical URL and version a document was imported
with are kept, and a response names its questionnaire by them (:func:`questionnaire_reference`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from assessments import document
from assessments.document import QUESTION_TYPES
from assessments.fhir.conditions import all_able, tagged
from assessments.fhir.extensions import CALCULATED_EXPRESSION, MAX_VALUE, MIN_VALUE, ORDINAL_VALUE
from assessments.fhir.primitives import FAIL, is_int

RESPONSE_STATUSES = ("in-progress", "completed", "amended", "entered-in-error", "stopped")
FHIR_DATE_TIME = re.compile(r"\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2}))?")
CHOICES = ("single_choice", "multiple_choice")


def canonical_url(doc: Mapping[str, Any], base_url: str | None = None) -> str:
    """The questionnaire's canonical URL: the one it was imported with, else one under ``base_url`` (or none)."""
    if doc.get("url"):
        return doc["url"]
    if base_url:
        return f"{base_url.rstrip('/')}/fhir/Questionnaire/{doc['slug']}"
    return ""


def questionnaire_reference(doc: Mapping[str, Any], base_url: str) -> str:
    """What a QuestionnaireResponse's ``questionnaire`` holds: the canonical URL and version, ``url|version``."""
    return f"{canonical_url(doc, base_url)}|{doc['version']}"


def document_to_questionnaire(doc: Mapping[str, Any], *, base_url: str | None = None) -> dict[str, Any]:
    """A FHIR R4 Questionnaire for a parsed document: sections become groups, scored answers carry ordinalValue.

    Only the answers of items in the total scale (or, without one, in any scale) carry weights, written
    after reverse-keying, so importing the result gives a total that adds up exactly as this document's;
    the total itself follows as a calculated item with the scale's label. ``url`` is the document's own
    canonical URL, or one under ``base_url``.
    """
    exporter = _Exporter(doc)
    resource: dict[str, Any] = {"resourceType": "Questionnaire"}
    if resource_id := doc["slug"][:64].strip("-"):
        resource["id"] = resource_id
    if url := canonical_url(doc, base_url):
        resource["url"] = url
    resource["status"] = "active"
    for name in ("version", "title", "description", "copyright"):
        if doc.get(name):
            resource[name] = doc[name]
    items: list[dict[str, Any]] = []
    for section, members in _sections(doc):
        if section is None:
            items.extend(exporter.item(item, item.get("enable_when")) for item in members)
        else:
            items.append(exporter.group(section, members))
    totals = [scale for scale in doc.get("scales", []) if scale.get("total")]
    if totals:
        items.append(_total_item(doc, totals[0]))
    resource["item"] = items
    return resource


def _total_item(doc: Mapping[str, Any], scale: Mapping[str, Any]) -> dict[str, Any]:
    """The total as a read-only item calculated from the answers' weights (SDC's ``weight()``), with its label."""
    taken = {item["key"] for item in doc["items"]}
    link_id, number = scale["key"], 1
    while link_id in taken:
        number += 1
        link_id = f"{scale['key']}-{number}"
    names = " | ".join("'" + key.replace("\\", "\\\\").replace("'", "\\'") + "'" for key in scale["items"])
    answers = f"%resource.repeat(item).where(linkId in ({names})).answer.value"
    whole = scale["method"] == "sum" and scale["max_missing"] == 0
    expression = f"{answers}.weight().sum()"
    if scale["method"] == "mean":
        expression = f"{expression} / {answers}.count()"
    return {
        "linkId": link_id,
        "text": scale["label"],
        "type": "integer" if whole else "decimal",
        "readOnly": True,
        "extension": [
            {"url": CALCULATED_EXPRESSION, "valueExpression": {"language": "text/fhirpath", "expression": expression}}
        ],
    }


class _Exporter:
    """What exporting each item needs to know about the whole document."""

    def __init__(self, doc: Mapping[str, Any]) -> None:
        self.doc = doc
        self.by_key = {item["key"]: item for item in doc["items"]}
        self.weighted = _weighted_keys(doc)

    def group(self, section: dict, members: list[dict]) -> dict[str, Any]:
        """A section and its items; the section's condition moves to the group when every item carries it."""
        condition = section.get("enable_when")
        own = [_own_condition(member.get("enable_when"), condition) for member in members]
        carried = condition is not None and all(part is not FAIL for part in own)
        group = self.item(section, condition if carried or not members else None)
        if not members:
            group["type"] = "display"
            return group
        group["type"] = "group"
        group["item"] = [
            self.item(member, part if carried else member.get("enable_when"))
            for member, part in zip(members, own, strict=True)
        ]
        return group

    def item(self, item: Mapping[str, Any], condition: dict | None) -> dict[str, Any]:
        out: dict[str, Any] = {"linkId": item["key"]}
        if item.get("text"):
            out["text"] = item["text"]
        kind = item["type"]
        out["type"] = {"single_choice": "choice", "multiple_choice": "choice"}.get(kind, kind)
        if condition is not None:
            out["enableWhen"] = [self.condition(entry) for entry in condition["conditions"]]
            out["enableBehavior"] = condition["behavior"]
        if item.get("required"):
            out["required"] = True
        if kind == "multiple_choice":
            out["repeats"] = True
        if kind in CHOICES:
            out["answerOption"] = self.answer_options(item)
        if kind == "integer" and (extensions := _bounds(item)):
            out["extension"] = extensions
        return out

    def answer_options(self, item: Mapping[str, Any]) -> list[dict[str, Any]]:
        """The options of a choice item, with weights (after reverse-keying) where the item is scored."""
        options = _options_of(self.doc, item)
        scored = item["type"] == "single_choice" and item["key"] in self.weighted
        values = [option["value"] for option in options if option["value"] is not None]
        low, high = (min(values), max(values)) if values else (0, 0)
        result = []
        for option in options:
            entry: dict[str, Any] = {}
            if scored and option["value"] is not None:
                value = low + high - option["value"] if item.get("reverse_keyed") else option["value"]
                entry["extension"] = [{"url": ORDINAL_VALUE, "valueDecimal": value}]
            entry["valueCoding"] = _coding(option)
            result.append(entry)
        return result

    def condition(self, condition: Mapping[str, Any]) -> dict:
        out: dict[str, Any] = {"question": condition["item"], "operator": condition["operator"]}
        answer = condition["answer"]
        target = self.by_key.get(condition["item"], {})
        if condition["operator"] == "exists":
            out["answerBoolean"] = bool(answer)
        elif isinstance(answer, str):
            matches = [option for option in _options_of(self.doc, target) if option["code"] == answer]
            if target.get("type") in CHOICES and matches:
                out["answerCoding"] = _coding(matches[0], display=False)
            else:
                out["answerString"] = answer
        elif isinstance(answer, int):
            out["answerInteger"] = answer
        else:
            out["answerDecimal"] = answer
        return out


def response_to_questionnaire_response(
    doc: Mapping[str, Any],
    answers: Mapping[str, object],
    *,
    questionnaire_url: str,
    authored: str,
    status: str = "completed",
    subject_reference: str | None = None,
) -> dict[str, Any]:
    """A FHIR R4 QuestionnaireResponse for answers keyed by item key, nested like ``document_to_questionnaire``.

    The answers are checked as scoring checks them (raising ``scoring.ScoringError`` naming the item), so
    nothing leaves Tandem that Tandem would not accept; answers to items their conditions hide are left
    out, as FHIR requires and as scoring ignores them.
    """
    if status not in RESPONSE_STATUSES:
        raise ValueError(f"status must be one of {', '.join(RESPONSE_STATUSES)}, not {status!r}.")
    if not isinstance(questionnaire_url, str) or not questionnaire_url:
        raise ValueError("questionnaire_url must be the Questionnaire's canonical URL.")
    _check_authored(authored)
    document.answers_to_values(doc, answers)
    shown = document.enabled_keys(doc, answers)
    response: dict[str, Any] = {
        "resourceType": "QuestionnaireResponse",
        "questionnaire": questionnaire_url,
        "status": status,
        "authored": authored,
    }
    if subject_reference:
        response["subject"] = {"reference": subject_reference}
    response["item"] = _response_items(doc, answers, shown)
    return response


def _response_items(doc: Mapping[str, Any], answers: Mapping[str, object], shown: set[str]) -> list[dict[str, Any]]:
    """The answered items, in groups for the sections that have any."""
    items: list[dict[str, Any]] = []
    for section, members in _sections(doc):
        answered = [
            entry
            for member in members
            if member["key"] in shown and (entry := _response_item(doc, member, answers.get(member["key"]))) is not None
        ]
        if section is None:
            items.extend(answered)
        elif answered:
            group: dict[str, Any] = {"linkId": section["key"]}
            if section["text"]:
                group["text"] = section["text"]
            group["item"] = answered
            items.append(group)
    return items


def _response_item(doc: Mapping[str, Any], item: Mapping[str, Any], raw: object) -> dict[str, Any] | None:
    if item["type"] not in QUESTION_TYPES or raw is None or raw == "" or raw == []:
        return None
    options = _options_of(doc, item)
    if item["type"] == "single_choice":
        option = next(o for o in options if raw == o["code"] or (is_int(raw) and raw == o["value"]))
        answer = [{"valueCoding": _coding(option)}]
    elif item["type"] == "multiple_choice":
        by_code = {option["code"]: option for option in options}
        answer = [{"valueCoding": _coding(by_code[code])} for code in raw]  # type: ignore[union-attr]
    elif item["type"] == "integer":
        answer = [{"valueInteger": raw}]
    else:
        answer = [{"valueString": raw}]
    entry: dict[str, Any] = {"linkId": item["key"]}
    if item["text"]:
        entry["text"] = item["text"]
    entry["answer"] = answer
    return entry


def _sections(doc: Mapping[str, Any]) -> list[tuple[dict | None, list[dict]]]:
    """Items grouped under the section before them; items before any section come first, under None."""
    groups: list[tuple[dict | None, list[dict]]] = [(None, [])]
    for item in doc["items"]:
        if item["type"] == "section":
            groups.append((item, []))
        else:
            groups[-1][1].append(item)
    return groups


def _options_of(doc: Mapping[str, Any], item: Mapping[str, Any]) -> list[dict]:
    if item.get("_options"):
        return item["_options"]
    if item.get("answer_scale"):
        for scale in doc.get("answer_scales", []):
            if scale["key"] == item["answer_scale"]:
                return scale["options"]
    return item.get("options") or []


def _weighted_keys(doc: Mapping[str, Any]) -> set[str]:
    totals = [scale for scale in doc.get("scales", []) if scale.get("total")]
    return {key for scale in (totals or doc.get("scales", [])) for key in scale["items"]}


def _bounds(item: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [
        {"url": url, "valueInteger": item[name]}
        for name, url in (("min", MIN_VALUE), ("max", MAX_VALUE))
        if item.get(name) is not None
    ]


def _coding(option: Mapping[str, Any], *, display: bool = True) -> dict[str, Any]:
    coding: dict[str, Any] = {}
    if option.get("system"):
        coding["system"] = option["system"]
    coding["code"] = option["code"]
    if display and option.get("label"):
        coding["display"] = option["label"]
    return coding


def _own_condition(member: dict | None, section: dict | None) -> object:
    """What is left of an item's condition once its group's applies, or FAIL if it does not carry the group's."""
    if section is None:
        return member
    if member is None:
        return FAIL
    if tagged(member["conditions"]) == tagged(section["conditions"]) and member["behavior"] == section["behavior"]:
        return None
    count = len(section["conditions"])
    if (
        all_able(section)
        and all_able(member)
        and len(member["conditions"]) > count
        and tagged(member["conditions"][:count]) == tagged(section["conditions"])
    ):
        return {"behavior": "all", "conditions": member["conditions"][count:]}
    return FAIL


def _check_authored(authored: object) -> None:
    if not isinstance(authored, str) or not FHIR_DATE_TIME.fullmatch(authored):
        raise ValueError(f"authored must be a FHIR date-time such as '2025-03-30T09:15:00+01:00', not {authored!r}.")
    try:
        datetime.fromisoformat(authored)
    except ValueError:
        raise ValueError(f"authored is not a real date and time: {authored!r}.") from None
