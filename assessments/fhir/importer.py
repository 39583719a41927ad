"""Importing a FHIR R4 Questionnaire: the steps, in order, that turn one into an instrument document."""

from __future__ import annotations

from typing import Any

from assessments.document import FORMAT, MAX_TEXT, QUESTION_TYPES, DocumentError, Problem
from assessments.fhir import measures, metadata
from assessments.fhir.items import convert_children
from assessments.fhir.options import collect_value_sets
from assessments.fhir.primitives import kind_of, quote
from assessments.fhir.scales import report_what_is_missing, total_scales
from assessments.fhir.state import ImportState
from assessments.fhir.structure import assign_keys, survey


def questionnaire_to_document(resource: object) -> tuple[dict[str, Any], list[str]]:
    """A document for ``document.parse`` from a FHIR R4 Questionnaire, and warnings for what could not come along.

    Raises ``DocumentError`` (with JSON paths such as ``$.item[2].linkId``) for input that is not a
    Questionnaire, whose items cannot be told apart, whose enableWhen cannot be honoured, whose answers
    lie in a ValueSet it does not contain, or that leaves no question to answer; anything else
    unsupported is skipped or simplified with a warning naming its linkId.
    """
    state = ImportState(_questionnaire(resource))
    survey(state, state.resource, "$", 0)
    if state.problems:
        raise DocumentError(state.problems)
    assign_keys(state)
    collect_value_sets(state)
    convert_children(state, state.resource, None)
    if state.problems:
        raise DocumentError(state.problems)
    if not any(item["type"] in QUESTION_TYPES for item in state.items):
        raise DocumentError([Problem("$.item", "has no question a respondent can answer"), *state.left_out])
    doc = {
        "format": FORMAT,
        "slug": metadata.slug(state),
        "version": metadata.version(state),
        "url": metadata.url(state),
        "title": metadata.title(state),
        "description": metadata.top_text(state, "description", MAX_TEXT),
        "instructions": "",
        "copyright": metadata.top_text(state, "copyright", MAX_TEXT),
        "answer_scales": [],
        "items": state.items,
        "scales": total_scales(state),
        "risk_items": [],
    }
    if not measures.apply_profile(state, doc):
        report_what_is_missing(state, doc)
    return doc, state.warnings


def _questionnaire(resource: object) -> dict:
    if not isinstance(resource, dict):
        raise DocumentError([Problem("$", f"must be a FHIR Questionnaire object, not {kind_of(resource)}")])
    if resource.get("resourceType") != "Questionnaire":
        found = resource.get("resourceType")
        shown = quote(found) if isinstance(found, str) else kind_of(found)
        raise DocumentError([Problem("$.resourceType", f"must be 'Questionnaire', not {shown}")])
    return resource
