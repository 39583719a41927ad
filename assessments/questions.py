"""The questions of a page as the respondent sees them, for the client's form and the admin preview alike.

Both render ``assessments/includes/question.html`` from what ``page_questions`` returns, so the preview
cannot drift from what clients see.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from assessments.document import QUESTION_TYPES
from assessments.forms import FIELD_PREFIX

if TYPE_CHECKING:
    from assessments.services import PublishedForm

CHOICE_TYPES = ("single_choice", "multiple_choice")


def page_questions(
    form: PublishedForm,
    items: list[dict[str, Any]],
    values: dict[str, object] | None = None,
    errors: dict[str, list[str]] | None = None,
) -> list[dict[str, Any]]:
    """Each item of a page with its control's id and name, the answer it shows and its errors."""
    values, errors = values or {}, errors or {}
    return [_question(form, item, values.get(item["key"]), errors.get(item["key"], [])) for item in items]


def _question(form: PublishedForm, item: dict[str, Any], value: object, errors: list[str]) -> dict[str, Any]:
    html_id = f"q{form.positions[item['key']]}"
    has_range = item["type"] == "integer" and item.get("min") is not None and item.get("max") is not None
    question: dict[str, Any] = {
        "item": item,
        "id": html_id,
        "name": FIELD_PREFIX + item["key"],
        "errors": errors,
        "is_question": item["type"] in QUESTION_TYPES,
        "is_choice": item["type"] in CHOICE_TYPES,
        "has_range": has_range,
        # An error is read out with its control; otherwise the range hint, if there is one.
        "described_by": f"{html_id}-error" if errors else f"{html_id}-hint" if has_range else "",
    }
    if question["is_choice"]:
        chosen = value if isinstance(value, list) else [] if value is None else [value]
        question["chosen"] = {str(code) for code in chosen}
    else:
        question["value"] = "" if value is None or isinstance(value, list) else value
    return question
