"""Tandem's JSON format for one instrument version: checked, normalised and turned into scoring rules.

A document is plain JSON (see ``schema/instrument.schema.json`` and the README of this app). The
package has two sides:

- the document itself: ``parse`` (:mod:`.parsing`, reading :mod:`.items`, :mod:`.options` and
  :mod:`.scales` with the checks in :mod:`.checker`) checks a document completely and returns it
  normalised, every problem reported at once with its JSON path; :mod:`.rules` turns it into
  :mod:`assessments.scoring` rules and :mod:`.canonical` gives the form it is exported in;
- answers at run time: :mod:`.answers` checks a respondent's answers and scores them,
  :mod:`.conditions` decides which items their answers show, and :mod:`.pages` lays the form out.

Callers import from here: ``from assessments.document import parse, DocumentError``.
"""

from __future__ import annotations

from assessments import scoring
from assessments.document.answers import answers_to_values, result_as_json, score_document
from assessments.document.canonical import ITEM_DEFAULTS, exported
from assessments.document.conditions import enabled_keys
from assessments.document.format import (
    FORMAT,
    ITEM_FIELDS,
    ITEM_TYPES,
    KEY_PATTERN,
    MAX_TEXT,
    OPERATORS,
    QUESTION_TYPES,
    SLUG_PATTERN,
    UNSTORABLE,
    DocumentError,
    Problem,
)
from assessments.document.pages import pages, shuffled
from assessments.document.parsing import parse
from assessments.document.rules import band_problems, item_spec, spec_from_document

__all__ = [
    "FORMAT",
    "ITEM_DEFAULTS",
    "ITEM_FIELDS",
    "ITEM_TYPES",
    "KEY_PATTERN",
    "MAX_TEXT",
    "OPERATORS",
    "QUESTION_TYPES",
    "SLUG_PATTERN",
    "UNSTORABLE",
    "DocumentError",
    "Problem",
    "answers_to_values",
    "band_problems",
    "enabled_keys",
    "exported",
    "item_spec",
    "pages",
    "parse",
    "result_as_json",
    "score_document",
    "scoring",
    "shuffled",
    "spec_from_document",
]
