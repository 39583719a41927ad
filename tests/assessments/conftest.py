"""Factories for instrument documents and versions."""

from __future__ import annotations

import copy
from collections.abc import Callable

import pytest

from assessments import document

FREQUENCY = [
    {"code": "0", "label": "Not at all", "value": 0},
    {"code": "1", "label": "Several days", "value": 1},
    {"code": "2", "label": "More than half the days", "value": 2},
    {"code": "3", "label": "Nearly every day", "value": 3},
]


def small_document(slug: str = "mood-check") -> dict:
    """A three-question instrument: a section, a reverse-keyed item, a condition, a risk item, bands."""
    return {
        "format": document.FORMAT,
        "slug": slug,
        "version": "1",
        "title": "Mood check",
        "description": "For testing.",
        "instructions": "Think about the last two weeks.",
        "copyright": "Test material.",
        "answer_scales": [{"key": "frequency", "label": "How often", "options": copy.deepcopy(FREQUENCY)}],
        "items": [
            {"key": "intro", "type": "section", "text": "How have you been?"},
            {
                "key": "low",
                "type": "single_choice",
                "text": "Feeling low",
                "answer_scale": "frequency",
                "required": True,
            },
            {
                "key": "calm",
                "type": "single_choice",
                "text": "Feeling calm",
                "answer_scale": "frequency",
                "reverse_keyed": True,
            },
            {
                "key": "harm",
                "type": "single_choice",
                "text": "Thoughts of harming yourself",
                "answer_scale": "frequency",
                "enable_when": {"behavior": "all", "conditions": [{"item": "low", "operator": ">=", "answer": "1"}]},
            },
            {"key": "notes", "type": "text", "text": "Anything else?"},
        ],
        "scales": [
            {
                "key": "total",
                "label": "Total",
                "total": True,
                "items": ["low", "calm", "harm"],
                "clinical_cutoff": 5,
                "reference_sd": 2.5,
                "reliability": 0.8,
                "bands": [
                    {"low": 0, "high": 3, "label": "Low", "severity": 0, "meaning": "Little distress."},
                    {"low": 4, "high": 6, "label": "Moderate", "severity": 1, "meaning": "Some distress."},
                    {"low": 7, "high": 9, "label": "High", "severity": 2, "meaning": "Marked distress."},
                ],
            }
        ],
        "risk_items": [{"item": "harm", "threshold": 1, "label": "Self-harm thoughts"}],
    }


@pytest.fixture
def make_document() -> Callable[..., dict]:
    return small_document


@pytest.fixture
def open_assignment(make_version, cara, consenting):
    """A sent assignment of the small instrument to Cara (who consents), and a working raw token to it."""
    from assessments import assignments, links

    def make(doc: dict | None = None, **options):
        consenting(cara)
        assignment = assignments.assignment_create(version=make_version(doc), respondent=cara, **options)
        assignments.assignment_dispatch(assignment_id=assignment.pk)
        assignment.refresh_from_db()
        return assignment, links.link_issue(assignment=assignment)

    return make
