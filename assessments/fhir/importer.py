"""FHIR R4 Questionnaire import and export for instrument documents, as pure functions over dicts.

Practices meet instruments as FHIR Questionnaires (LOINC forms, SDC forms, other systems), so
``questionnaire_to_document`` turns one into a document for :func:`assessments.document.parse`, with a
warning naming the linkId for everything FHIR says that a document cannot. ``document_to_questionnaire``
and ``response_to_questionnaire_response`` go the other way so instruments and answers can leave Tandem in
a form other systems read. Scores travel only as answer weights (the standard ``ordinalValue``
extension): FHIR has no standard place for bands, subscales, proration or risk items.
"""

from __future__ import annotations

import hashlib
import math
import re
import unicodedata
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from assessments import document
from assessments.document import FORMAT, MAX_TEXT, OPERATORS, QUESTION_TYPES, DocumentError, Problem

ORDINAL_VALUE = "http://hl7.org/fhir/StructureDefinition/ordinalValue"
ITEM_WEIGHT = "http://hl7.org/fhir/StructureDefinition/itemWeight"
WEIGHT_URLS = (
    ORDINAL_VALUE,
    ITEM_WEIGHT,
    "http://hl7.org/fhir/StructureDefinition/questionnaire-ordinalValue",
    "http://hl7.org/fhir/StructureDefinition/iso21090-CO-value",
)
MIN_VALUE = "http://hl7.org/fhir/StructureDefinition/minValue"
MAX_VALUE = "http://hl7.org/fhir/StructureDefinition/maxValue"
HIDDEN = "http://hl7.org/fhir/StructureDefinition/questionnaire-hidden"
CALCULATED = ("cqf-expression", "sdc-questionnaire-calculatedExpression", "cqf-calculatedValue")
CHOICE_TYPES = ("choice", "open-choice", "coding")
AS_TEXT = ("string", "text")
TEXT_LIKE = ("date", "dateTime", "time", "url")
RESPONSE_STATUSES = ("in-progress", "completed", "amended", "entered-in-error", "stopped")
DEFAULT_SLUG = "imported-questionnaire"
DEFAULT_TITLE = "Imported questionnaire"
TOTAL_KEY = "total"
TOTAL_LABEL = "Total score"
MAX_DEPTH = 50
MAX_NUMBER = 10**9
BOOLEAN_OPTIONS = ({"code": "yes", "label": "Yes", "value": None}, {"code": "no", "label": "No", "value": None})
CLEAN_KEY = re.compile(r"[^\s]{1,100}")
WHITESPACE = re.compile(r"\s+")
FHIR_DATE_TIME = re.compile(r"\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2}))?")
_FAIL = object()


@dataclass
class _Option:
    """One answer on its way into a document, remembering where it came from so enableWhen can find it."""

    code: str
    label: str
    system: str
    value: object  # a whole number, None, or _FAIL while weights are being checked
    source: tuple[str, object, object]


@dataclass
class _Imported:
    """A converted item and what enableWhen needs to know about its answers."""

    item: dict[str, Any]
    options: list[_Option]
    boolean: bool = False


def questionnaire_to_document(resource: object) -> tuple[dict[str, Any], list[str]]:
    """A document for ``document.parse`` from a FHIR R4 Questionnaire, and warnings for what could not come along.

    Raises ``DocumentError`` (with JSON paths such as ``$.item[2].linkId``) only for input that is not
    a Questionnaire at all or whose items cannot be told apart; anything else unsupported is skipped
    or simplified with a warning naming its linkId.
    """
    return _Importer(resource).run()


class _Importer:
    def __init__(self, resource: object) -> None:
        self.resource = resource
        self.problems: list[Problem] = []
        self.warnings: list[str] = []
        self.paths: dict[str, str] = {}
        self.keys: dict[str, str] = {}
        self.items: list[dict[str, Any]] = []
        self.imported: dict[str, _Imported] = {}
        self.skipped: set[str] = set()
        self.value_sets: dict[str, dict] = {}
        self.total: tuple[str, str] | None = None

    def warn(self, link_id: str, message: str) -> None:
        text = f"Item {_quote(link_id)}: {message}"
        if text not in self.warnings:
            self.warnings.append(text)

    def note(self, message: str) -> None:
        if message not in self.warnings:
            self.warnings.append(message)

    def run(self) -> tuple[dict[str, Any], list[str]]:
        resource = self.resource
        if not isinstance(resource, dict):
            raise DocumentError([Problem("$", f"must be a FHIR Questionnaire object, not {_kind(resource)}")])
        if resource.get("resourceType") != "Questionnaire":
            found = resource.get("resourceType")
            shown = _quote(found) if isinstance(found, str) else _kind(found)
            raise DocumentError([Problem("$.resourceType", f"must be 'Questionnaire', not {shown}")])
        self.survey(resource, "$", 0)
        if self.problems:
            raise DocumentError(self.problems)
        self.assign_keys()
        self.collect_value_sets()
        self.convert_children(resource, None)
        if not self.items:
            raise DocumentError([Problem("$.item", "has no items that can be imported")])
        doc = {
            "format": FORMAT,
            "slug": self.slug(),
            "version": self.version(),
            "title": self.title(),
            "description": self.top_text("description", MAX_TEXT),
            "instructions": "",
            "copyright": self.top_text("copyright", MAX_TEXT),
            "answer_scales": [],
            "items": self.items,
            "scales": self.scales(),
            "risk_items": [],
        }
        return doc, self.warnings

    # Structure: everything that makes items impossible to tell apart is an error, reported at once.

    def survey(self, container: dict, path: str, depth: int) -> None:
        if "item" not in container:
            return
        nodes = container["item"]
        if not isinstance(nodes, list):
            self.problems.append(Problem(f"{path}.item", f"must be a list, not {_kind(nodes)}"))
            return
        if depth >= MAX_DEPTH and nodes:
            self.problems.append(Problem(f"{path}.item", f"nests items more than {MAX_DEPTH} levels deep"))
            return
        for index, node in enumerate(nodes):
            where = f"{path}.item[{index}]"
            if not isinstance(node, dict):
                self.problems.append(Problem(where, f"must be an object, not {_kind(node)}"))
                continue
            link_id = node.get("linkId")
            if "linkId" not in node:
                self.problems.append(Problem(f"{where}.linkId", "is required"))
            elif not isinstance(link_id, str) or not link_id:
                self.problems.append(Problem(f"{where}.linkId", f"must be non-empty text, not {_kind(link_id)}"))
            elif link_id in self.paths:
                self.problems.append(
                    Problem(f"{where}.linkId", f"repeats the linkId {_quote(link_id)} of {self.paths[link_id]}")
                )
            else:
                self.paths[link_id] = where
            kind = node.get("type")
            if "type" not in node:
                self.problems.append(Problem(f"{where}.type", "is required"))
            elif not isinstance(kind, str):
                self.problems.append(Problem(f"{where}.type", f"must be text, not {_kind(kind)}"))
            self.survey(node, where, depth + 1)

    def assign_keys(self) -> None:
        """LinkIds become item keys unchanged; the few a key cannot hold are sanitised the same way every time."""
        taken = {link_id for link_id in self.paths if _clean_key(link_id)}
        for link_id in self.paths:
            if _clean_key(link_id):
                self.keys[link_id] = link_id
                continue
            base = WHITESPACE.sub("_", link_id.replace("\x00", "")) or "item"
            if len(base) > 100:
                base = f"{base[:91]}-{_digest(link_id)}"
            key, number = base, 1
            while key in taken:
                number += 1
                key = f"{base[:90]}-{number}"
            taken.add(key)
            self.keys[link_id] = key
            self.warn(link_id, f"a linkId cannot contain spaces or exceed 100 characters, so it became {_quote(key)}.")

    def collect_value_sets(self) -> None:
        contained = self.resource.get("contained", [])
        if not isinstance(contained, list):
            self.note("contained: must be a list; ignored.")
            return
        for entry in contained:
            if not isinstance(entry, dict) or entry.get("resourceType") != "ValueSet":
                continue
            if isinstance(entry.get("id"), str):
                self.value_sets.setdefault(f"#{entry['id']}", entry)
            if isinstance(entry.get("url"), str):
                self.value_sets.setdefault(entry["url"], entry)

    # Items, in document order: groups become sections followed by their children.

    def convert_children(self, container: dict, inherited: dict | None) -> None:
        nodes = container.get("item", [])
        for node in nodes:
            link_id = node["linkId"]
            effective = self.combine(inherited, self.enable_when(node, link_id), link_id)
            item = self.convert(node, link_id, node["type"], effective)
            if item is None:
                self.skipped.add(link_id)
            else:
                self.items.append(item.item)
                self.imported[link_id] = item
            self.convert_children(node, effective)

    def convert(self, node: dict, link_id: str, kind: str, enable_when: dict | None) -> _Imported | None:
        key = self.keys[link_id]
        base: dict[str, Any] = {"key": key, "type": "", "text": self.item_text(node, link_id)}
        if enable_when is not None:
            base["enable_when"] = enable_when
        if kind in ("group", "display"):
            if node.get("repeats") is True and kind == "group":
                self.warn(link_id, "repeating groups are not supported; it is asked once.")
            if node.get("item") and kind == "display":
                self.warn(link_id, "a display item cannot hold other items; they follow it instead.")
            return _Imported({**base, "type": "section" if kind == "group" else "display"}, [])
        if self.is_total(node, kind):
            if self.total is None:
                self.total = (link_id, _clean(node.get("text"), 200) if isinstance(node.get("text"), str) else "")
            else:
                self.warn(link_id, "only one calculated score can become the total; this one was skipped.")
            return None
        if _calculated(node):
            self.warn(link_id, f"a calculated {kind} item asks the respondent nothing; skipped.")
            return None
        if _extension(node, HIDDEN) is not None and _extension(node, HIDDEN).get("valueBoolean") is True:
            self.warn(link_id, "hidden items are not supported; skipped.")
            return None
        if node.get("readOnly") is True:
            self.warn(link_id, "read-only items are not supported (the respondent could not answer it); skipped.")
            return None
        if node.get("repeats") is True and kind not in CHOICE_TYPES and kind != "group":
            self.warn(link_id, f"repeated answers to a {kind} item are not supported; it takes one answer.")
        if kind in CHOICE_TYPES:
            result = self.choice(node, link_id, base)
        elif kind == "boolean":
            result = _Imported(
                {**base, "type": "single_choice", "options": [dict(option) for option in BOOLEAN_OPTIONS]},
                [_Option(o["code"], o["label"], "", None, ("boolean", o["code"], None)) for o in BOOLEAN_OPTIONS],
                boolean=True,
            )
        elif kind == "integer":
            result = _Imported({**base, "type": "integer", **self.bounds(node, link_id)}, [])
        elif kind in AS_TEXT:
            result = _Imported({**base, "type": "text"}, [])
        elif kind in TEXT_LIKE:
            self.warn(link_id, f"{kind} answers are not supported, so it is asked as free text.")
            result = _Imported({**base, "type": "text"}, [])
        else:
            self.warn(link_id, f"{_quote(kind)} items are not supported; skipped.")
            return None
        if result is None:
            return None
        if "required" in node:
            if isinstance(node["required"], bool):
                if node["required"]:
                    result.item["required"] = True
            else:
                self.warn(link_id, "required must be true or false; ignored.")
        return result

    def item_text(self, node: dict, link_id: str) -> str:
        text = node.get("text")
        if text is None:
            return ""
        if not isinstance(text, str):
            self.warn(link_id, f"its text must be text, not {_kind(text)}; left empty.")
            return ""
        if len(text) > MAX_TEXT:
            self.warn(link_id, f"its text is longer than {MAX_TEXT} characters and was shortened.")
        return _clean(text, MAX_TEXT)

    def is_total(self, node: dict, kind: str) -> bool:
        if kind not in ("integer", "decimal"):
            return False
        if _calculated(node):
            return True
        if node.get("readOnly") is not True:
            return False
        labels = [node.get("text")]
        codes = node.get("code")
        if isinstance(codes, list):
            labels.extend(code.get("display") for code in codes if isinstance(code, dict))
        return any(isinstance(label, str) and "total score" in label.lower() for label in labels)

    def bounds(self, node: dict, link_id: str) -> dict[str, int]:
        found: dict[str, int] = {}
        for name, url in (("min", MIN_VALUE), ("max", MAX_VALUE)):
            extension = _extension(node, url)
            if extension is None:
                continue
            value = extension.get("valueInteger")
            if _is_int(value) and abs(value) <= MAX_NUMBER:
                found[name] = value
            else:
                self.warn(link_id, f"its {name}Value must be a whole number (valueInteger) within ±10⁹; ignored.")
        if "min" in found and "max" in found and found["min"] > found["max"]:
            self.warn(link_id, "its minValue is above its maxValue; both ignored.")
            return {}
        return found

    # Choice items: options from answerOption or a contained ValueSet, weights from extensions.

    def choice(self, node: dict, link_id: str, base: dict) -> _Imported | None:
        kind = node["type"]
        if kind == "open-choice" or node.get("answerConstraint") in ("optionsOrString", "optionsOrType"):
            self.warn(link_id, "answers other than the listed options are not supported; only the options are kept.")
        if "answerOption" in node:
            if "answerValueSet" in node:
                self.warn(link_id, "has both answerOption and answerValueSet; the answerOption list is used.")
            options = self.answer_options(node["answerOption"], link_id)
        elif "answerValueSet" in node:
            options = self.value_set_options(node["answerValueSet"], link_id)
        else:
            options = []
        if not options:
            self.warn(link_id, "has no answers that can be imported; skipped.")
            return None
        options = self.unique_codes(options, link_id)
        multiple = node.get("repeats") is True
        self.check_weights(options, link_id, multiple)
        item = {
            **base,
            "type": "multiple_choice" if multiple else "single_choice",
            "options": [
                {"code": o.code, "label": o.label, "value": o.value, **({"system": o.system} if o.system else {})}
                for o in options
            ],
        }
        return _Imported(item, options)

    def answer_options(self, raw: object, link_id: str) -> list[_Option]:
        if not isinstance(raw, list):
            self.warn(link_id, f"answerOption must be a list, not {_kind(raw)}.")
            return []
        options = []
        for index, entry in enumerate(raw):
            if not isinstance(entry, dict):
                self.warn(link_id, f"answerOption[{index}] must be an object; skipped.")
                continue
            option = self.answer_option(entry, index, link_id)
            if option is not None:
                options.append(option)
        return options

    def answer_option(self, entry: dict, index: int, link_id: str) -> _Option | None:
        where = f"answerOption[{index}]"
        if "valueCoding" in entry:
            coding = entry["valueCoding"]
            if not isinstance(coding, dict):
                self.warn(link_id, f"{where}.valueCoding must be an object; skipped.")
                return None
            weight = self.weight([entry, coding], link_id, where)
            return self.coded_option(coding, weight, link_id, where)
        if "valueInteger" in entry:
            number = entry["valueInteger"]
            if not _is_int(number) or abs(number) > MAX_NUMBER:
                self.warn(link_id, f"{where}.valueInteger must be a whole number within ±10⁹; skipped.")
                return None
            weight = self.weight([entry], link_id, where)
            return _Option(
                str(number), str(number), "", number if weight is None else weight, ("integer", number, None)
            )
        if "valueString" in entry:
            text = entry["valueString"]
            if not isinstance(text, str) or not _clean(text, 200).strip():
                self.warn(link_id, f"{where}.valueString must be non-empty text; skipped.")
                return None
            weight = self.weight([entry], link_id, where)
            return _Option(_clean(text, 200), _clean(text, 500), "", weight, ("string", text, None))
        value_keys = sorted(key for key in entry if isinstance(key, str) and key.startswith("value"))
        shown = f"{value_keys[0]} answers" if value_keys else "answers without a value"
        self.warn(link_id, f"{where}: {shown} are not supported; skipped.")
        return None

    def coded_option(
        self, coding: dict, weight: object, link_id: str, where: str, system: object = None
    ) -> _Option | None:
        code = coding.get("code")
        if not isinstance(code, str) or not _clean(code, 200):
            self.warn(link_id, f"{where} has no code; skipped.")
            return None
        system = coding.get("system", system)
        system = system if isinstance(system, str) else ""
        display = coding.get("display")
        label = display if isinstance(display, str) and display.strip() else code
        return _Option(
            _clean(code, 200),
            _clean(label, 500),
            _clean(system, 500),
            weight,
            ("coding", system, code),  # type: ignore[arg-type]
        )

    def value_set_options(self, ref: object, link_id: str) -> list[_Option]:
        if not isinstance(ref, str):
            self.warn(link_id, f"answerValueSet must be text, not {_kind(ref)}.")
            return []
        value_set = self.value_sets.get(ref)
        if value_set is None:
            self.warn(
                link_id,
                f"answerValueSet {_quote(ref)} is not contained in the questionnaire, so its answers are unknown.",
            )
            return []
        options: list[_Option] = []
        compose = value_set.get("compose")
        if isinstance(compose, dict):
            if compose.get("exclude"):
                self.warn(link_id, "ValueSet exclusions are not supported; ignored.")
            includes = compose.get("include")
            for index, include in enumerate(includes if isinstance(includes, list) else []):
                where = f"ValueSet include[{index}]"
                if not isinstance(include, dict):
                    continue
                if include.get("filter") or include.get("valueSet"):
                    self.warn(link_id, f"{where}: filters and other value sets are not supported; ignored.")
                concepts = include.get("concept")
                for position, concept in enumerate(concepts if isinstance(concepts, list) else []):
                    if isinstance(concept, dict):
                        here = f"{where}.concept[{position}]"
                        weight = self.weight([concept], link_id, here)
                        option = self.coded_option(concept, weight, link_id, here, include.get("system"))
                        if option is not None:
                            options.append(option)
        if not options:
            expansion = value_set.get("expansion")
            contains = expansion.get("contains") if isinstance(expansion, dict) else None
            for position, concept in enumerate(_flat_contains(contains, 0)):
                here = f"ValueSet expansion.contains[{position}]"
                option = self.coded_option(concept, self.weight([concept], link_id, here), link_id, here)
                if option is not None:
                    options.append(option)
        return options

    def weight(self, holders: list[dict], link_id: str, where: str) -> object:
        """The first weight extension found, as a whole number; _FAIL (after a warning) for one that is not."""
        for holder in holders:
            for url in WEIGHT_URLS:
                extension = _extension(holder, url)
                if extension is None:
                    continue
                raw = extension.get("valueDecimal", extension.get("valueInteger"))
                number = _number(raw)
                if number is None:
                    self.warn(link_id, f"{where} has a weight that is not a number; the item is not scored.")
                    return _FAIL
                if abs(number) > MAX_NUMBER:
                    self.warn(link_id, f"{where} has a weight beyond ±10⁹; the item is not scored.")
                    return _FAIL
                if not float(number).is_integer():
                    self.warn(link_id, f"{where} has a weight that is not a whole number; the item is not scored.")
                    return _FAIL
                return int(number)
        return None

    def unique_codes(self, options: list[_Option], link_id: str) -> list[_Option]:
        seen: set[str] = set()
        for option in options:
            if option.code in seen:
                base, number = option.code[:190], 2
                while f"{base}~{number}" in seen:
                    number += 1
                self.warn(link_id, f"the answer code {_quote(option.code)} repeats; it became {base}~{number}.")
                option.code = f"{base}~{number}"
            seen.add(option.code)
        return options

    def check_weights(self, options: list[_Option], link_id: str, multiple: bool) -> None:
        weights = [option.value for option in options]
        if any(weight is _FAIL for weight in weights):
            valid = False
        elif len({w for w in weights if w is not None}) < len([w for w in weights if w is not None]):
            self.warn(
                link_id, "two answers have the same weight, which Tandem cannot tell apart; the item is not scored."
            )
            valid = False
        else:
            valid = True
            if any(w is None for w in weights) and any(w is not None for w in weights):
                self.warn(link_id, "only some answers have weights, so the item is not scored.")
            elif multiple and any(w is not None for w in weights):
                self.warn(link_id, "answers to a multiple-choice item are not scored, so it stays out of the total.")
        if not valid:
            for option in options:
                option.value = None

    # enableWhen: conditions name earlier questions by key and compare with option codes or numbers.

    def enable_when(self, node: dict, link_id: str) -> dict | None:
        if "enableWhen" not in node:
            return None
        raw = node["enableWhen"]
        if not isinstance(raw, list):
            self.warn(link_id, "enableWhen must be a list; ignored, so it is always shown.")
            return None
        behavior = node.get("enableBehavior", "all")
        if behavior not in ("all", "any"):
            self.warn(link_id, "enableBehavior must be 'all' or 'any'; 'all' was used.")
            behavior = "all"
        conditions = []
        for index, entry in enumerate(raw):
            condition = self.condition(entry, index, link_id)
            if condition is not None:
                conditions.append(condition)
        if not conditions:
            if raw:
                self.warn(link_id, "none of its enableWhen conditions could be imported, so it is always shown.")
            return None
        return {"behavior": behavior, "conditions": _unique_conditions(conditions)}

    def condition(self, entry: object, index: int, link_id: str) -> dict | None:
        where = f"enableWhen[{index}]"
        if not isinstance(entry, dict):
            self.warn(link_id, f"{where} must be an object; ignored.")
            return None
        question, operator = entry.get("question"), entry.get("operator")
        if not isinstance(question, str):
            self.warn(link_id, f"{where} names no question; ignored.")
            return None
        if not isinstance(operator, str) or operator not in OPERATORS:
            self.warn(link_id, f"{where} has an unknown operator; ignored.")
            return None
        target = self.imported.get(question)
        if target is None:
            if question == link_id:
                reason = "depends on itself"
            elif question in self.skipped:
                reason = f"depends on {_quote(question)}, which was not imported"
            elif question in self.paths:
                reason = f"depends on {_quote(question)}, which comes later"
            else:
                reason = f"depends on {_quote(question)}, which is not in the questionnaire"
            self.warn(link_id, f"{where} {reason}; ignored.")
            return None
        if target.item["type"] not in QUESTION_TYPES:
            self.warn(link_id, f"{where} depends on {_quote(question)}, which asks nothing; ignored.")
            return None
        fields = [key for key in entry if isinstance(key, str) and key.startswith("answer")]
        if len(fields) != 1:
            self.warn(link_id, f"{where} needs exactly one answer[x]; ignored.")
            return None
        answer = self.condition_answer(target, operator, fields[0], entry[fields[0]], link_id, where)
        if answer is _FAIL:
            self.warn(link_id, f"{where}: {fields[0]} on {_quote(question)} is not supported; ignored.")
            return None
        if isinstance(answer, str) and target.options and not any(o.code == answer for o in target.options):
            self.warn(link_id, f"{where} compares {_quote(question)} with an answer it does not offer.")
        return {"item": target.item["key"], "operator": operator, "answer": answer}

    def condition_answer(
        self, target: _Imported, operator: str, field: str, raw: object, link_id: str, where: str
    ) -> object:
        kind = target.item["type"]
        choice = kind in ("single_choice", "multiple_choice")
        if operator == "exists":
            return raw if field == "answerBoolean" and isinstance(raw, bool) else _FAIL
        if field == "answerBoolean":
            return ("yes" if raw else "no") if target.boolean and isinstance(raw, bool) else _FAIL
        if field == "answerCoding":
            if not choice or not isinstance(raw, dict) or not isinstance(raw.get("code"), str):
                return _FAIL
            system = raw.get("system")
            for option in target.options:
                kind_of, option_system, code = option.source
                same_system = not (isinstance(system, str) and option_system and system != option_system)
                if kind_of == "coding" and code == raw["code"] and same_system:
                    return option.code
            return _FAIL
        if field in ("answerInteger", "answerDecimal"):
            number = _number(raw)
            if number is None or abs(number) > MAX_NUMBER or (field == "answerInteger" and not _is_int(number)):
                return _FAIL
            numbered = [option for option in target.options if option.source[0] == "integer"]
            if not numbered:
                return number
            if operator in ("=", "!="):
                return next((option.code for option in numbered if option.source[1] == number), number)
            if any(option.value != option.source[1] for option in numbered):
                self.warn(
                    link_id,
                    f"{where} compares {_quote(target.item['key'])} by its answers' weights, not their numbers.",
                )
            return number
        if field == "answerString" and isinstance(raw, str) and kind in ("text", "single_choice", "multiple_choice"):
            for option in target.options:
                if option.source[0] == "string" and option.source[1] == raw:
                    return option.code
            return raw.replace("\x00", "")
        return _FAIL

    def combine(self, outer: dict | None, inner: dict | None, link_id: str) -> dict | None:
        """A group's condition applies to everything in it; both must hold, which 'all' can say only sometimes."""
        if outer is None or inner is None:
            return outer or inner
        if _all_able(outer) and _all_able(inner):
            return {"behavior": "all", "conditions": _unique_conditions(outer["conditions"] + inner["conditions"])}
        self.warn(link_id, "its own enableWhen and its group's cannot be combined; only its own is kept.")
        return inner

    # The rest of the document.

    def scales(self) -> list[dict[str, Any]]:
        weighted = [
            item["key"]
            for item in self.items
            if item["type"] == "single_choice"
            and all(option["value"] is not None for option in item["options"])
            and len({option["value"] for option in item["options"]}) > 1
        ]
        if not weighted:
            if self.total is not None:
                self.warn(self.total[0], "no answers carry weights, so there is no total to calculate; skipped.")
            return []
        self.note(
            "Scale 'total' has no bands: FHIR has no place for them, so add bands (and check the clinical "
            "cutoff and direction) before publishing."
        )
        label = self.total[1].strip() if self.total else ""
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

    def slug(self) -> str:
        url = self.resource.get("url")
        candidates = []
        if isinstance(url, str) and not url.lower().startswith("urn:"):
            candidates.append(re.split(r"[|?#]", url)[0].rstrip("/").rsplit("/", 1)[-1])
        candidates.extend(self.resource.get(name) for name in ("name", "id"))
        for candidate in candidates:
            if isinstance(candidate, str) and (slug := slugify(candidate)):
                return slug
        return DEFAULT_SLUG

    def version(self) -> str:
        version = self.resource.get("version")
        if version is None:
            return "1"
        if not isinstance(version, str) or not _clean(version, 40).strip():
            self.note("version: must be text; '1' was used.")
            return "1"
        if len(version) > 40:
            self.note("version: longer than 40 characters, so it was shortened.")
        return _clean(version, 40)

    def title(self) -> str:
        for name in ("title", "name"):
            value = self.resource.get(name)
            if isinstance(value, str) and _clean(value, 200).strip():
                if len(value) > 200:
                    self.note(f"{name}: longer than 200 characters, so the title was shortened.")
                return _clean(value, 200)
        return DEFAULT_TITLE

    def top_text(self, name: str, limit: int) -> str:
        value = self.resource.get(name)
        if value is None:
            return ""
        if not isinstance(value, str):
            self.note(f"{name}: must be text; left empty.")
            return ""
        if len(value) > limit:
            self.note(f"{name}: longer than {limit} characters, so it was shortened.")
        return _clean(value, limit)


def slugify(text: str) -> str:
    """Lowercase letters, digits and single hyphens, splitting CamelCase names ('PHQ9Form' → 'phq9-form')."""
    text = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "-", text)
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii").lower()
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-")[:100].strip("-")


def document_to_questionnaire(doc: Mapping[str, Any]) -> dict[str, Any]:
    """A FHIR R4 Questionnaire for a parsed document: sections become groups, scored answers carry ordinalValue.

    Only the answers of items in the total scale (or, without one, in any scale) carry weights, written
    after reverse-keying, so importing the result gives a total that adds up exactly as this document's.
    """
    by_key = {item["key"]: item for item in doc["items"]}
    weighted = _weighted_keys(doc)
    resource: dict[str, Any] = {"resourceType": "Questionnaire"}
    if resource_id := doc["slug"][:64].strip("-"):
        resource["id"] = resource_id
    resource["status"] = "active"
    for name in ("version", "title", "description", "copyright"):
        if doc.get(name):
            resource[name] = doc[name]
    items: list[dict[str, Any]] = []
    for section, members in _sections(doc):
        if section is None:
            items.extend(_export_item(item, doc, by_key, weighted, item.get("enable_when")) for item in members)
            continue
        condition = section.get("enable_when")
        own = [_own_condition(member.get("enable_when"), condition) for member in members]
        carried = condition is not None and all(part is not _FAIL for part in own)
        group = _export_item(section, doc, by_key, weighted, condition if carried or not members else None)
        if not members:
            group["type"] = "display"
            items.append(group)
            continue
        group["type"] = "group"
        group["item"] = [
            _export_item(member, doc, by_key, weighted, part if carried else member.get("enable_when"))
            for member, part in zip(members, own, strict=True)
        ]
        items.append(group)
    resource["item"] = items
    return resource


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
    response: dict[str, Any] = {
        "resourceType": "QuestionnaireResponse",
        "questionnaire": questionnaire_url,
        "status": status,
        "authored": authored,
    }
    if subject_reference:
        response["subject"] = {"reference": subject_reference}
    response["item"] = items
    return response


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


def _export_item(
    item: Mapping[str, Any], doc: Mapping[str, Any], by_key: dict[str, dict], weighted: set[str], condition: dict | None
) -> dict[str, Any]:
    out: dict[str, Any] = {"linkId": item["key"]}
    if item.get("text"):
        out["text"] = item["text"]
    kind = item["type"]
    out["type"] = {"single_choice": "choice", "multiple_choice": "choice"}.get(kind, kind)
    if condition is not None:
        out["enableWhen"] = [_export_condition(entry, doc, by_key) for entry in condition["conditions"]]
        out["enableBehavior"] = condition["behavior"]
    if item.get("required"):
        out["required"] = True
    if kind == "multiple_choice":
        out["repeats"] = True
    if kind in ("single_choice", "multiple_choice"):
        options = _options_of(doc, item)
        scored = kind == "single_choice" and item["key"] in weighted
        values = [option["value"] for option in options if option["value"] is not None]
        low, high = (min(values), max(values)) if values else (0, 0)
        out["answerOption"] = []
        for option in options:
            entry: dict[str, Any] = {}
            if scored and option["value"] is not None:
                value = low + high - option["value"] if item.get("reverse_keyed") else option["value"]
                entry["extension"] = [{"url": ORDINAL_VALUE, "valueDecimal": value}]
            entry["valueCoding"] = _coding(option)
            out["answerOption"].append(entry)
    if kind == "integer":
        extensions = [
            {"url": url, "valueInteger": item[name]}
            for name, url in (("min", MIN_VALUE), ("max", MAX_VALUE))
            if item.get(name) is not None
        ]
        if extensions:
            out["extension"] = extensions
    return out


def _coding(option: Mapping[str, Any], *, display: bool = True) -> dict[str, Any]:
    coding: dict[str, Any] = {}
    if option.get("system"):
        coding["system"] = option["system"]
    coding["code"] = option["code"]
    if display and option.get("label"):
        coding["display"] = option["label"]
    return coding


def _export_condition(condition: Mapping[str, Any], doc: Mapping[str, Any], by_key: dict[str, dict]) -> dict:
    out: dict[str, Any] = {"question": condition["item"], "operator": condition["operator"]}
    answer = condition["answer"]
    target = by_key.get(condition["item"], {})
    if condition["operator"] == "exists":
        out["answerBoolean"] = bool(answer)
    elif isinstance(answer, str):
        matches = [option for option in _options_of(doc, target) if option["code"] == answer]
        if target.get("type") in ("single_choice", "multiple_choice") and matches:
            out["answerCoding"] = _coding(matches[0], display=False)
        else:
            out["answerString"] = answer
    elif isinstance(answer, int):
        out["answerInteger"] = answer
    else:
        out["answerDecimal"] = answer
    return out


def _own_condition(member: dict | None, section: dict | None) -> object:
    """What is left of an item's condition once its group's applies, or _FAIL if it does not carry the group's."""
    if section is None:
        return member
    if member is None:
        return _FAIL
    if _tagged(member["conditions"]) == _tagged(section["conditions"]) and member["behavior"] == section["behavior"]:
        return None
    count = len(section["conditions"])
    if (
        _all_able(section)
        and _all_able(member)
        and len(member["conditions"]) > count
        and _tagged(member["conditions"][:count]) == _tagged(section["conditions"])
    ):
        return {"behavior": "all", "conditions": member["conditions"][count:]}
    return _FAIL


def _response_item(doc: Mapping[str, Any], item: Mapping[str, Any], raw: object) -> dict[str, Any] | None:
    if item["type"] not in QUESTION_TYPES or raw is None or raw == "" or raw == []:
        return None
    options = _options_of(doc, item)
    if item["type"] == "single_choice":
        option = next(o for o in options if raw == o["code"] or (_is_int(raw) and raw == o["value"]))
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


def _check_authored(authored: object) -> None:
    if not isinstance(authored, str) or not FHIR_DATE_TIME.fullmatch(authored):
        raise ValueError(f"authored must be a FHIR date-time such as '2025-03-30T09:15:00+01:00', not {authored!r}.")
    try:
        datetime.fromisoformat(authored)
    except ValueError:
        raise ValueError(f"authored is not a real date and time: {authored!r}.") from None


def _extension(holder: dict, url: str) -> dict | None:
    extensions = holder.get("extension")
    if not isinstance(extensions, list):
        return None
    for extension in extensions:
        if isinstance(extension, dict) and extension.get("url") == url:
            return extension
    return None


def _calculated(node: dict) -> bool:
    extensions = node.get("extension")
    if not isinstance(extensions, list):
        return False
    return any(
        isinstance(extension, dict)
        and isinstance(extension.get("url"), str)
        and extension["url"].rsplit("/", 1)[-1] in CALCULATED
        for extension in extensions
    )


def _flat_contains(contains: object, depth: int) -> Iterator[dict]:
    if not isinstance(contains, list) or depth > 10:
        return
    for entry in contains:
        if isinstance(entry, dict):
            if isinstance(entry.get("code"), str):
                yield entry
            yield from _flat_contains(entry.get("contains"), depth + 1)


def _all_able(condition: Mapping[str, Any]) -> bool:
    return condition["behavior"] == "all" or len(condition["conditions"]) == 1


def _tagged(conditions: list[dict]) -> list[tuple]:
    """Conditions compared with the answer's type, so True, 1 and 1.0 stay different."""
    return [(c["item"], c["operator"], type(c["answer"]).__name__, c["answer"]) for c in conditions]


def _unique_conditions(conditions: list[dict]) -> list[dict]:
    seen: set[tuple] = set()
    unique = []
    for condition, tag in zip(conditions, _tagged(conditions), strict=True):
        if tag not in seen:
            seen.add(tag)
            unique.append(condition)
    return unique


def _number(raw: object) -> int | float | None:
    """A finite JSON number (int, float or Decimal), integral ones as int; None for anything else."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return raw if abs(raw) <= 10**15 else float("inf")
    if isinstance(raw, float):
        if not math.isfinite(raw):
            return None
        return int(raw) if raw.is_integer() and abs(raw) <= 10**15 else raw
    if isinstance(raw, Decimal):
        if not raw.is_finite():
            return None
        if abs(raw) > 10**15:
            return float("inf")
        return int(raw) if raw == raw.to_integral_value() else float(raw)
    return None


def _clean_key(link_id: str) -> bool:
    return "\x00" not in link_id and CLEAN_KEY.fullmatch(link_id) is not None


def _clean(text: str, limit: int) -> str:
    return text.replace("\x00", "")[:limit]


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:8]


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _quote(text: str) -> str:
    return repr(text if len(text) <= 60 else text[:57] + "...")


def _kind(value: object) -> str:
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float | Decimal):
        return "a number"
    return {dict: "an object", list: "a list", str: "text", type(None): "null"}.get(type(value), type(value).__name__)
