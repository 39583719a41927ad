"""Tandem's JSON format for one instrument version: checked, normalised and turned into scoring rules.

A document is plain JSON (see ``schema/instrument.schema.json`` and the README of this app).
``parse`` checks a document completely and returns it normalised (every optional field filled
in, in a fixed order) so that export → import → export is lossless; every problem is reported
at once, each with the JSON path where it was found. ``spec_from_document`` turns a parsed
document into :mod:`assessments.scoring` rules, and ``answers_to_values`` turns a respondent's
answers (option codes or numbers) into the numbers that scoring adds up.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from assessments import scoring

FORMAT = "tandem-instrument/1"
ITEM_TYPES = ("section", "display", "single_choice", "multiple_choice", "integer", "text")
QUESTION_TYPES = ("single_choice", "multiple_choice", "integer", "text")
ITEM_FIELDS = (
    "key",
    "type",
    "text",
    "required",
    "reverse_keyed",
    "answer_scale",
    "options",
    "min",
    "max",
    "enable_when",
)
OPERATORS = ("exists", "=", "!=", ">", ">=", "<", "<=")
KEY_PATTERN = re.compile(r"[^\s\x00\ud800-\udfff]{1,100}")
#: What no database stores in text: the NUL character and lone UTF-16 surrogates.
UNSTORABLE = re.compile(r"[\x00\ud800-\udfff]")
SLUG_PATTERN = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
MAX_TEXT = 5000


@dataclass(frozen=True)
class Problem:
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


class DocumentError(ValueError):
    """A document that cannot be imported; ``problems`` lists every fault with its JSON path."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("; ".join(str(problem) for problem in problems))


class _Checker:
    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, path: str, message: str) -> None:
        self.problems.append(Problem(path, message))

    def obj(self, value: object, path: str, allowed: set[str], required: set[str] = frozenset()) -> dict[str, Any]:
        if not isinstance(value, dict):
            self.add(path, f"must be an object, not {_kind(value)}")
            return {}
        for key in value:
            if key not in allowed:
                self.add(f"{path}.{key}", "is not a field this format knows")
        for key in sorted(required - set(value)):
            self.add(f"{path}.{key}", "is required")
        return value

    def text(
        self,
        data: dict,
        key: str,
        path: str,
        *,
        default: str | None = None,
        limit: int = MAX_TEXT,
        required: bool = False,
    ) -> str:
        value = data.get(key, default)
        if value is None:
            if required and key in data:
                self.add(f"{path}.{key}", "must be text, not null")
            return ""
        if not isinstance(value, str):
            self.add(f"{path}.{key}", f"must be text, not {_kind(value)}")
            return ""
        if UNSTORABLE.search(value):
            self.add(f"{path}.{key}", "must not contain null characters or unpaired surrogates")
        if len(value) > limit:
            self.add(f"{path}.{key}", f"is longer than {limit} characters")
        return value

    def flag(self, data: dict, key: str, path: str, default: bool) -> bool:
        value = data.get(key, default)
        if not isinstance(value, bool):
            self.add(f"{path}.{key}", f"must be true or false, not {_kind(value)}")
            return default
        return value

    def integer(self, data: dict, key: str, path: str, default: int | None = None) -> int | None:
        value = data.get(key, default)
        if value is None:
            return None
        if not _is_int(value):
            self.add(f"{path}.{key}", f"must be a whole number, not {_kind(value)}")
            return None
        if abs(value) > 10**9:
            self.add(f"{path}.{key}", "is out of range")
            return None
        return value

    def number(self, data: dict, key: str, path: str, *, required: bool = False) -> float | None:
        value = data.get(key)
        if value is None:
            if required and key in data:
                self.add(f"{path}.{key}", "must be a number, not null")
            return None
        if isinstance(value, bool) or not isinstance(value, int | float) or not _finite(value):
            self.add(f"{path}.{key}", f"must be a finite number, not {_kind(value)}")
            return None
        return value

    def key(self, data: dict, name: str, path: str) -> str:
        """A reference or identifier: text of 1 to 100 characters without spaces."""
        value = data.get(name)
        if not isinstance(value, str) or not KEY_PATTERN.fullmatch(value):
            if name in data:
                self.add(f"{path}.{name}", "must be text of 1 to 100 characters without spaces")
            return ""
        return value

    def array(self, data: dict, key: str, path: str) -> list:
        value = data.get(key, [])
        if not isinstance(value, list):
            self.add(f"{path}.{key}", f"must be a list, not {_kind(value)}")
            return []
        return value


def parse(data: object) -> dict[str, Any]:
    """Check ``data`` as an instrument document and return it normalised; raise DocumentError otherwise."""
    check = _Checker()
    top = check.obj(
        data,
        "$",
        {
            "format",
            "slug",
            "version",
            "title",
            "description",
            "instructions",
            "copyright",
            "answer_scales",
            "items",
            "scales",
            "risk_items",
        },
        {"format", "slug", "title", "items"},
    )
    if top and top.get("format") != FORMAT:
        check.add("$.format", f"must be {FORMAT!r}, not {top.get('format')!r}")
    slug = check.text(top, "slug", "$", limit=100)
    if top and "slug" in top and not SLUG_PATTERN.fullmatch(slug):
        check.add("$.slug", "must be lowercase letters, digits and single hyphens, e.g. 'phq-9'")
    doc: dict[str, Any] = {
        "format": FORMAT,
        "slug": slug,
        "version": check.text(top, "version", "$", default="1", limit=40),
        "title": check.text(top, "title", "$", limit=200),
        "description": check.text(top, "description", "$"),
        "instructions": check.text(top, "instructions", "$"),
        "copyright": check.text(top, "copyright", "$"),
    }
    if top and isinstance(top.get("title"), str) and not doc["title"].strip():
        check.add("$.title", "must not be empty")
    doc["answer_scales"] = _answer_scales(check, top)
    scales_by_key = {scale["key"]: scale for scale in doc["answer_scales"]}
    doc["items"] = _items(check, top, scales_by_key)
    items_by_key = {item["key"]: item for item in doc["items"]}
    doc["scales"] = _scales(check, top, items_by_key)
    doc["risk_items"] = _risk_items(check, top, items_by_key)
    if check.problems:
        raise DocumentError(check.problems)
    try:
        spec_from_document(doc)
    except ValueError as exc:
        raise DocumentError([Problem("$.scales", str(exc))]) from exc
    return doc


def _options(check: _Checker, raw: list, path: str) -> list[dict[str, Any]]:
    options = []
    codes: set[str] = set()
    values: set[int] = set()
    if not raw:
        check.add(path, "needs at least one option")
    for index, option in enumerate(raw):
        where = f"{path}[{index}]"
        data = check.obj(option, where, {"code", "label", "value", "system"}, {"label"})
        value = check.integer(data, "value", where)
        code = data.get("code", None if value is None else str(value))
        if not isinstance(code, str) or not code or len(code) > 200:
            check.add(f"{where}.code", "must be non-empty text (it defaults to the value)")
            code = ""
        elif code in codes:
            check.add(f"{where}.code", f"repeats the code {code!r}")
        if value is not None:
            if value in values:
                check.add(f"{where}.value", f"repeats the value {value}")
            values.add(value)
        codes.add(code)
        options.append(
            {
                "code": code,
                "label": check.text(data, "label", where, limit=500, required=True),
                "value": value,
                "system": check.text(data, "system", where, limit=500),
            }
        )
    return options


def _answer_scales(check: _Checker, top: dict) -> list[dict[str, Any]]:
    result = []
    seen: set[str] = set()
    for index, raw in enumerate(check.array(top, "answer_scales", "$")):
        where = f"$.answer_scales[{index}]"
        data = check.obj(raw, where, {"key", "label", "options"}, {"key", "options"})
        key = check.key(data, "key", where)
        if key and key in seen:
            check.add(f"{where}.key", f"repeats the answer scale {key!r}")
        seen.add(key)
        result.append(
            {
                "key": key,
                "label": check.text(data, "label", where, limit=200),
                "options": _options(check, check.array(data, "options", where), f"{where}.options"),
            }
        )
    return result


def _items(check: _Checker, top: dict, answer_scales: dict[str, dict]) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    seen: dict[str, dict] = {}
    for index, raw in enumerate(check.array(top, "items", "$")):
        where = f"$.items[{index}]"
        data = check.obj(
            raw,
            where,
            set(ITEM_FIELDS),
            {"key", "type", "text"},
        )
        key = data.get("key")
        if not isinstance(key, str) or not KEY_PATTERN.fullmatch(key):
            check.add(f"{where}.key", "must be text of 1 to 100 characters without spaces")
            key = f"#{index}"
        elif key in seen:
            check.add(f"{where}.key", f"repeats the item key {key!r}")
        kind = data.get("type")
        if kind not in ITEM_TYPES:
            check.add(f"{where}.type", f"must be one of {', '.join(ITEM_TYPES)}, not {kind!r}")
            kind = "display"
        item: dict[str, Any] = {"key": key, "type": kind, "text": check.text(data, "text", where, required=True)}
        question = kind in QUESTION_TYPES
        item["required"] = check.flag(data, "required", where, False)
        if item["required"] and not question:
            check.add(f"{where}.required", f"a {kind} item asks nothing, so it cannot be required")
        item["reverse_keyed"] = check.flag(data, "reverse_keyed", where, False)
        if item["reverse_keyed"] and kind != "single_choice":
            check.add(f"{where}.reverse_keyed", "only single-choice items can be reverse-keyed")
        item["answer_scale"] = ""
        item["options"] = []
        if kind in ("single_choice", "multiple_choice"):
            if "answer_scale" in data and "options" in data:
                check.add(where, "give either answer_scale or options, not both")
            elif "answer_scale" in data:
                ref = data["answer_scale"]
                if not isinstance(ref, str) or ref not in answer_scales:
                    check.add(f"{where}.answer_scale", f"names no answer scale in $.answer_scales: {ref!r}")
                else:
                    item["answer_scale"] = ref
            else:
                item["options"] = _options(check, check.array(data, "options", where), f"{where}.options")
        else:
            for extra in ("answer_scale", "options"):
                if extra in data:
                    check.add(f"{where}.{extra}", f"a {kind} item has no options")
        item["min"] = check.integer(data, "min", where)
        item["max"] = check.integer(data, "max", where)
        if kind != "integer":
            for extra in ("min", "max"):
                if extra in data:
                    check.add(f"{where}.{extra}", "only integer items have a minimum and maximum")
        elif item["min"] is not None and item["max"] is not None and item["min"] > item["max"]:
            check.add(f"{where}.min", f"is above max ({item['min']} > {item['max']})")
        item["enable_when"] = _enable_when(check, data.get("enable_when"), f"{where}.enable_when", key, seen)
        items.append(item)
        seen[key] = item
    if not items and not any(p.path.startswith("$.items") for p in check.problems):
        check.add("$.items", "needs at least one item")
    for item in items:
        item["_options"] = _resolved_options(item, answer_scales)
    return items


def _resolved_options(item: dict, answer_scales: dict[str, dict]) -> list[dict]:
    if item["answer_scale"]:
        return answer_scales[item["answer_scale"]]["options"]
    return item["options"]


def _enable_when(check: _Checker, raw: object, path: str, key: str, earlier: dict[str, dict]) -> dict | None:
    if raw is None:
        return None
    data = check.obj(raw, path, {"behavior", "conditions"}, {"conditions"})
    behavior = data.get("behavior", "all")
    if behavior not in ("all", "any"):
        check.add(f"{path}.behavior", f"must be 'all' or 'any', not {behavior!r}")
    conditions = []
    raw_conditions = check.array(data, "conditions", path)
    if data and not raw_conditions:
        check.add(f"{path}.conditions", "needs at least one condition")
    for index, condition in enumerate(raw_conditions):
        where = f"{path}.conditions[{index}]"
        cond = check.obj(condition, where, {"item", "operator", "answer"}, {"item", "operator"})
        target = cond.get("item")
        operator = cond.get("operator")
        if not isinstance(target, str):
            check.add(f"{where}.item", "must be the key of an earlier question")
        elif target == key:
            check.add(f"{where}.item", "an item cannot depend on itself")
        elif target not in earlier:
            check.add(f"{where}.item", f"must name an earlier question, not {target!r} (conditions cannot loop)")
        elif earlier[target]["type"] not in QUESTION_TYPES:
            check.add(f"{where}.item", f"{target!r} asks nothing, so nothing can depend on its answer")
        if operator not in OPERATORS:
            check.add(f"{where}.operator", f"must be one of {', '.join(OPERATORS)}, not {operator!r}")
        answer = cond.get("answer")
        if operator == "exists":
            if not isinstance(answer, bool):
                check.add(f"{where}.answer", "must be true or false for 'exists'")
        elif isinstance(answer, bool) or not isinstance(answer, str | int | float) or not _finite(answer):
            check.add(f"{where}.answer", "must be an option code or a finite number")
        elif isinstance(answer, str) and len(answer) > 200:
            check.add(f"{where}.answer", "is longer than 200 characters")
        conditions.append({"item": target, "operator": operator, "answer": answer})
    return {"behavior": behavior, "conditions": conditions}


def _scorable(item: dict) -> bool:
    if item["type"] == "integer":
        return item["min"] is not None and item["max"] is not None and item["min"] < item["max"]
    if item["type"] == "single_choice":
        values = [option["value"] for option in item["_options"]]
        return bool(values) and all(value is not None for value in values) and len(set(values)) > 1
    return False


def _scales(check: _Checker, top: dict, items: dict[str, dict]) -> list[dict[str, Any]]:
    scales = []
    seen: set[str] = set()
    totals = 0
    for index, raw in enumerate(check.array(top, "scales", "$")):
        where = f"$.scales[{index}]"
        data = check.obj(
            raw,
            where,
            {
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
                "bands",
            },
            {"key", "label", "items"},
        )
        key = check.key(data, "key", where)
        if key and key in seen:
            check.add(f"{where}.key", f"repeats the scale key {key!r}")
        seen.add(key)
        members = check.array(data, "items", where)
        for position, member in enumerate(members):
            if not isinstance(member, str) or member not in items:
                check.add(f"{where}.items[{position}]", f"names no item: {member!r}")
            elif not _scorable(items[member]):
                check.add(
                    f"{where}.items[{position}]",
                    f"{member!r} cannot be scored (only single-choice items with numeric values and "
                    "integer items with a minimum and maximum can)",
                )
        method = data.get("method", "sum")
        if method not in ("sum", "mean"):
            check.add(f"{where}.method", f"must be 'sum' or 'mean', not {method!r}")
        total = check.flag(data, "total", where, False)
        totals += total
        bands = []
        for position, band in enumerate(check.array(data, "bands", where)):
            at = f"{where}.bands[{position}]"
            band_data = check.obj(band, at, {"low", "high", "label", "severity", "meaning"}, {"low", "high", "label"})
            bands.append(
                {
                    "low": check.number(band_data, "low", at, required=True),
                    "high": check.number(band_data, "high", at, required=True),
                    "label": check.text(band_data, "label", at, limit=100, required=True),
                    "severity": check.integer(band_data, "severity", at, 0) or 0,
                    "meaning": check.text(band_data, "meaning", at),
                }
            )
        scales.append(
            {
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
                "bands": bands,
            }
        )
    if totals > 1:
        check.add("$.scales", "only one scale can be the total")
    return scales


def _risk_items(check: _Checker, top: dict, items: dict[str, dict]) -> list[dict[str, Any]]:
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
        elif not _scorable(items[key]):
            check.add(f"{where}.item", f"{key!r} has no numeric answers to compare with a threshold")
        result.append(
            {
                "item": key,
                "threshold": check.number(data, "threshold", where),
                "label": check.text(data, "label", where),
            }
        )
    return result


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


def item_spec(item: dict) -> scoring.ItemSpec:
    if item["type"] == "integer":
        return scoring.ItemSpec(item["key"], item["min"], item["max"])
    options = item.get("_options") or item["options"]
    values = [option["value"] for option in options]
    return scoring.ItemSpec(
        item["key"],
        min(values),
        max(values),
        reverse_keyed=item["reverse_keyed"],
        options=tuple(scoring.AnswerOption(option["value"], option["label"]) for option in options),
    )


def spec_from_document(doc: Mapping[str, Any]) -> scoring.InstrumentSpec:
    """The scoring rules of a parsed document (raises ValueError for rules scoring cannot apply)."""
    scorable = {item["key"]: item_spec(item) for item in doc["items"] if _scorable(item)}
    scales = tuple(
        scoring.ScaleSpec(
            key=scale["key"],
            label=scale["label"],
            items=tuple(scorable[key] for key in scale["items"]),
            method=scale["method"],
            max_missing=scale["max_missing"],
            bands=tuple(
                scoring.BandSpec(band["low"], band["high"], band["label"], band["severity"], band["meaning"])
                for band in scale["bands"]
            ),
            clinical_cutoff=scale["clinical_cutoff"],
            higher_is_worse=scale["higher_is_worse"],
            reference_sd=scale["reference_sd"],
            reliability=scale["reliability"],
        )
        for scale in doc["scales"]
    )
    return scoring.InstrumentSpec(
        key=doc["slug"],
        scales=scales,
        items=tuple(scorable.values()),
        risk_rules=tuple(
            scoring.RiskRule(risk["item"], risk["threshold"], risk["label"]) for risk in doc["risk_items"]
        ),
    )


def band_problems(doc: Mapping[str, Any]) -> list[Problem]:
    """What stops a document from being published: bands that leave gaps, overlap or miss the range."""
    spec = spec_from_document(doc)
    problems = []
    for index, scale in enumerate(spec.scales):
        problems.extend(Problem(f"$.scales[{index}].bands", message) for message in scoring.validate_bands(scale))
    return problems


def answers_to_values(doc: Mapping[str, Any], answers: Mapping[str, object]) -> dict[str, int | None]:
    """Turn answers keyed by item key (option codes, option values or numbers) into scoring values.

    Unknown keys, unknown codes and out-of-range numbers raise ``scoring.ScoringError`` naming the
    item. Answers to unscored items (free text, multiple choice) are checked but not returned.
    """
    items = {item["key"]: item for item in doc["items"]}
    values: dict[str, int | None] = {}
    for key, raw in answers.items():
        item = items.get(key)
        if item is None or item["type"] not in QUESTION_TYPES:
            raise scoring.ScoringError(str(key)[:100], f"There is no question {str(key)[:100]!r} in this instrument.")
        value = _answer_value(item, raw)
        if _scorable(item):
            values[key] = value
    return values


def _answer_value(item: dict, raw: object) -> int | None:
    key = item["key"]
    if raw is None or raw == "" or raw == []:
        return None
    options = item.get("_options") or item["options"]
    if item["type"] == "single_choice":
        for option in options:
            if raw == option["code"] or (_is_int(raw) and raw == option["value"]):
                return option["value"]
        raise scoring.ScoringError(key, f"{_short(raw)} is not one of the answers to {key!r}.")
    if item["type"] == "multiple_choice":
        codes = {option["code"] for option in options}
        if not isinstance(raw, list) or not all(isinstance(code, str) and code in codes for code in raw):
            raise scoring.ScoringError(key, f"The answer to {key!r} must be a list of its option codes.")
        return None
    if item["type"] == "integer":
        if not _is_int(raw):
            raise scoring.ScoringError(key, f"The answer to {key!r} must be a whole number, not {_short(raw)}.")
        if (item["min"] is not None and raw < item["min"]) or (item["max"] is not None and raw > item["max"]):
            raise scoring.ScoringError(key, f"{raw} is outside the range {item['min']} to {item['max']} of {key!r}.")
        return raw
    if not isinstance(raw, str) or len(raw) > MAX_TEXT or UNSTORABLE.search(raw):
        raise scoring.ScoringError(key, f"The answer to {key!r} must be text of at most {MAX_TEXT} characters.")
    return None


def enabled_keys(doc: Mapping[str, Any], answers: Mapping[str, object]) -> set[str]:
    """The items shown for these answers; an item whose condition fails is hidden, and so is its answer.

    Conditions only look back, so one pass in order is enough; an answer to a hidden item counts
    as no answer for the items that depend on it.
    """
    shown: set[str] = set()
    effective: dict[str, object] = {}
    for item in doc["items"]:
        rule = item["enable_when"]
        if rule is not None:
            results = [_condition_holds(doc, condition, effective) for condition in rule["conditions"]]
            if not (all(results) if rule["behavior"] == "all" else any(results)):
                continue
        shown.add(item["key"])
        if item["key"] in answers:
            effective[item["key"]] = answers[item["key"]]
    return shown


def _condition_holds(doc: Mapping[str, Any], condition: Mapping[str, Any], answers: Mapping[str, object]) -> bool:
    raw = answers.get(condition["item"])
    present = raw not in (None, "", [])
    operator, expected = condition["operator"], condition["answer"]
    if operator == "exists":
        return present == expected
    if not present or isinstance(raw, bool):
        return False
    item = next(item for item in doc["items"] if item["key"] == condition["item"])
    if isinstance(raw, list):  # multiple choice: any chosen code may satisfy = / !=
        return (str(expected) in raw) == (operator == "=") if operator in ("=", "!=") else False
    actual: object = raw
    if item["type"] == "single_choice":
        option = next((o for o in item["_options"] if raw in (o["code"], o["value"])), None)
        if option is None:
            return False
        if operator in ("=", "!=") and isinstance(expected, str):
            return (option["code"] == expected) == (operator == "=")
        actual = option["value"]
        if isinstance(expected, str):
            target = next((o for o in item["_options"] if o["code"] == expected), None)
            expected = target["value"] if target else None
    if operator in ("=", "!="):
        return (actual == expected) == (operator == "=")
    if not isinstance(actual, int | float) or isinstance(actual, bool) or not isinstance(expected, int | float):
        return False
    return {">": actual > expected, ">=": actual >= expected, "<": actual < expected, "<=": actual <= expected}[
        operator
    ]


def score_document(doc: Mapping[str, Any], answers: Mapping[str, object]) -> scoring.ScoreResult:
    """Score answers; answers to items hidden by their conditions are left out."""
    values = answers_to_values(doc, answers)
    shown = enabled_keys(doc, answers)
    return scoring.score(spec_from_document(doc), {key: value for key, value in values.items() if key in shown})


def result_as_json(result: scoring.ScoreResult) -> dict[str, Any]:
    """A score result as plain JSON, for storage, the API and ``score_answers``."""
    return {
        "instrument": result.instrument,
        "scales": {
            scale.key: {
                "label": scale.label,
                "value": scale.value,
                "band": scale.band.label if scale.band else None,
                "severity": scale.band.severity if scale.band else None,
                "clinical": scale.clinical,
                "answered": scale.answered,
                "missing": list(scale.missing),
                "prorated": scale.prorated,
                "reason": scale.reason,
            }
            for scale in result.scales
        },
        "risk_flags": [
            {"item": flag.item_key, "value": flag.value, "threshold": flag.threshold, "label": flag.label}
            for flag in result.risk_flags
        ],
        "unanswered_risk_items": list(result.unanswered_risk_items),
    }


ITEM_DEFAULTS: dict[str, Any] = {
    "required": False,
    "reverse_keyed": False,
    "answer_scale": "",
    "options": [],
    "min": None,
    "max": None,
    "enable_when": None,
}


def exported(doc: Mapping[str, Any]) -> dict[str, Any]:
    """A parsed document in its canonical form for ``json.dumps``: item fields at their defaults are left out."""
    clean = dict(doc)
    clean["items"] = [
        {
            key: [_exported_option(option) for option in value] if key == "options" else value
            for key, value in item.items()
            if not key.startswith("_") and not (key in ITEM_DEFAULTS and value == ITEM_DEFAULTS[key])
        }
        for item in doc["items"]
    ]
    clean["answer_scales"] = [
        {**scale, "options": [_exported_option(option) for option in scale["options"]]}
        for scale in doc["answer_scales"]
    ]
    return clean


def _exported_option(option: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in option.items() if not (key == "system" and not value)}


def _finite(value: object) -> bool:
    if isinstance(value, int):
        return abs(value) <= 10**15
    return not isinstance(value, float) or math.isfinite(value)


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _kind(value: object) -> str:
    return {dict: "an object", list: "a list", str: "text", bool: "true/false", type(None): "null"}.get(
        type(value), "a number" if isinstance(value, int | float) else type(value).__name__
    )


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
