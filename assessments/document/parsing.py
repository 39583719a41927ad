"""Checking a whole document: ``parse`` reads every section and reports every problem at once.

A parsed document is normalised (every optional field filled in, in a fixed order) so that
export → import → export is lossless.
"""

from __future__ import annotations

from typing import Any

from assessments.document.checker import Checker
from assessments.document.couples import derive_healthy
from assessments.document.format import FORMAT, SLUG_PATTERN, DocumentError, Problem
from assessments.document.items import parse_items
from assessments.document.options import parse_answer_scales
from assessments.document.rules import spec_from_document
from assessments.document.scales import parse_risk_items, parse_scales

TOP_FIELDS = {
    "format",
    "slug",
    "version",
    "url",
    "title",
    "description",
    "instructions",
    "copyright",
    "couples",
    "answer_scales",
    "items",
    "scales",
    "risk_items",
}
TOP_REQUIRED = {"format", "slug", "title", "items"}


def parse(data: object) -> dict[str, Any]:
    """Check ``data`` as an instrument document and return it normalised; raise DocumentError otherwise."""
    check = Checker()
    top = check.obj(data, "$", TOP_FIELDS, TOP_REQUIRED)
    doc = _header(check, top)
    doc["answer_scales"] = parse_answer_scales(check, top)
    scales_by_key = {scale["key"]: scale for scale in doc["answer_scales"]}
    doc["items"] = parse_items(check, top, scales_by_key)
    items_by_key = {item["key"]: item for item in doc["items"]}
    doc["scales"] = parse_scales(check, top, items_by_key)
    doc["risk_items"] = parse_risk_items(check, top, items_by_key)
    derive_healthy(check, doc)
    if check.problems:
        raise DocumentError(check.problems)
    try:
        spec_from_document(doc)
    except ValueError as exc:
        raise DocumentError([Problem("$.scales", str(exc))]) from exc
    return doc


def _header(check: Checker, top: dict) -> dict[str, Any]:
    """The fields that describe the instrument as a whole."""
    if top and top.get("format") != FORMAT:
        check.add("$.format", f"must be {FORMAT!r}, not {top.get('format')!r}")
    slug = check.text(top, "slug", "$", limit=100)
    if top and "slug" in top and not SLUG_PATTERN.fullmatch(slug):
        check.add("$.slug", "must be lowercase letters, digits and single hyphens, e.g. 'phq-9'")
    doc: dict[str, Any] = {
        "format": FORMAT,
        "slug": slug,
        "version": check.text(top, "version", "$", default="1", limit=40),
        "url": check.text(top, "url", "$", limit=500),
        "title": check.text(top, "title", "$", limit=200),
        "description": check.text(top, "description", "$"),
        "instructions": check.text(top, "instructions", "$"),
        "copyright": check.text(top, "copyright", "$"),
        "couples": check.flag(top, "couples", "$", False),
    }
    if any(character.isspace() for character in doc["url"]):
        check.add("$.url", "must not contain spaces")
    if top and isinstance(top.get("title"), str) and not doc["title"].strip():
        check.add("$.title", "must not be empty")
    return doc
