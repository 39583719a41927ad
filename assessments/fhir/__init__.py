"""FHIR R4 Questionnaire import and export for instrument documents, as pure functions over dicts.

Practices meet instruments as FHIR Questionnaires (LOINC forms, SDC forms, other systems), so
``questionnaire_to_document`` turns one into a document for :func:`assessments.document.parse`, with a
warning naming the linkId for everything FHIR says that a document cannot. ``document_to_questionnaire``
and ``response_to_questionnaire_response`` go the other way so instruments and answers can leave Tandem in
a form other systems read. Scores travel only as answer weights (the standard ``ordinalValue``
extension): FHIR has no standard place for bands, subscales, proration or risk items.

The import runs in :mod:`.importer`, step by step: :mod:`.structure` (linkIds and types),
:mod:`.items`, :mod:`.options` (answerOption and value sets), :mod:`.conditions` (enableWhen),
:mod:`.scales` (weights and the calculated total) and :mod:`.metadata`; :mod:`.export` goes the
other way. Callers import from here: ``from assessments import fhir; fhir.questionnaire_to_document(...)``.
"""

from __future__ import annotations

from assessments.fhir.export import (
    RESPONSE_STATUSES,
    canonical_url,
    document_to_questionnaire,
    questionnaire_reference,
    response_to_questionnaire_response,
)
from assessments.fhir.extensions import HIDDEN, ITEM_WEIGHT, MAX_VALUE, MIN_VALUE, ORDINAL_VALUE, WEIGHT_URLS
from assessments.fhir.importer import questionnaire_to_document
from assessments.fhir.metadata import slugify

__all__ = [
    "HIDDEN",
    "ITEM_WEIGHT",
    "MAX_VALUE",
    "MIN_VALUE",
    "ORDINAL_VALUE",
    "RESPONSE_STATUSES",
    "WEIGHT_URLS",
    "canonical_url",
    "document_to_questionnaire",
    "questionnaire_reference",
    "questionnaire_to_document",
    "response_to_questionnaire_response",
    "slugify",
]
