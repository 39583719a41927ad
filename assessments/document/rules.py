"""A parsed document as :mod:`assessments.scoring` rules, which both the importer and scoring at run time use."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from assessments import scoring
from assessments.document.format import Problem


def scorable(item: dict) -> bool:
    """Whether answers to an item are numbers scoring can add: integers in a range, or weighted choices."""
    if item["type"] == "integer":
        return item["min"] is not None and item["max"] is not None and item["min"] < item["max"]
    if item["type"] == "single_choice":
        values = [option["value"] for option in item["_options"]]
        return bool(values) and all(value is not None for value in values) and len(set(values)) > 1
    return False


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
    scorable_items = {item["key"]: item_spec(item) for item in doc["items"] if scorable(item)}
    scales = tuple(_scale_spec(scale, scorable_items) for scale in doc["scales"])
    return scoring.InstrumentSpec(
        key=doc["slug"],
        scales=scales,
        items=tuple(scorable_items.values()),
        risk_rules=tuple(
            scoring.RiskRule(risk["item"], risk["threshold"], risk["label"]) for risk in doc["risk_items"]
        ),
    )


def _scale_spec(scale: Mapping[str, Any], items: dict[str, scoring.ItemSpec]) -> scoring.ScaleSpec:
    return scoring.ScaleSpec(
        key=scale["key"],
        label=scale["label"],
        items=tuple(items[key] for key in scale["items"]),
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
        reliable_change_threshold=(scale.get("reliable_change") or {}).get("threshold"),
    )


def band_problems(doc: Mapping[str, Any]) -> list[Problem]:
    """What stops a document from being published: bands that leave gaps, overlap or miss the range."""
    spec = spec_from_document(doc)
    problems = []
    for index, scale in enumerate(spec.scales):
        problems.extend(Problem(f"$.scales[{index}].bands", message) for message in scoring.validate_bands(scale))
    return problems
