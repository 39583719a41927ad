"""The questions of a page as the respondent sees them, for the client's form and the admin preview alike.

Both show what ``page_questions`` returns, each question rendered from ``assessments/includes/question.html``,
so the preview cannot drift from what clients see. The form page is the hot path of the link pages
(``bench/form.py``): rendering its radio buttons from the template costs more than the rest of the request, so
a published version's markup is kept per process for every item that shows no free text: display items, and
choice questions for each set of answers they show (option codes and error messages, never who chose them).
Text and number answers, which hold what a client wrote, and drafts are rendered every time.
"""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from django.template.loader import render_to_string
from django.utils.safestring import SafeString
from django.utils.translation import get_language

from assessments.document import QUESTION_TYPES
from assessments.forms import FIELD_PREFIX

if TYPE_CHECKING:
    from assessments.services import PublishedForm

TEMPLATE = "assessments/includes/question.html"
CHOICE_TYPES = ("single_choice", "multiple_choice")


def page_questions(
    form: PublishedForm,
    items: list[dict[str, Any]],
    values: dict[str, object] | None = None,
    errors: dict[str, list[str]] | None = None,
) -> list[dict[str, Any]]:
    """Each item of a page with its control's id, the answer it shows, its errors and its ``html``."""
    values, errors = values or {}, errors or {}
    questions = []
    for item in items:
        question = _question(form, item, values.get(item["key"]), [str(error) for error in errors.get(item["key"], [])])
        if form.frozen_as is not None and (question["is_choice"] or not question["is_question"]):
            chosen, shown_errors = frozenset(question.get("chosen", ())), tuple(question["errors"])
            question["html"] = _published_html(form.frozen_as, item["key"], get_language(), chosen, shown_errors)
        else:
            question["html"] = render_to_string(TEMPLATE, {"question": question})
        questions.append(question)
    return questions


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
        chosen = value if isinstance(value, list | tuple | frozenset) else [] if value is None else [value]
        question["chosen"] = {str(code) for code in chosen}
        question["choices"] = item.get("_options") or item["options"]
    else:
        question["value"] = "" if value is None or isinstance(value, list) else value
    return question


@lru_cache(maxsize=4096)
def _published_html(
    version: tuple[int, datetime], key: str, language: str | None, chosen: frozenset[str], errors: tuple[str, ...]
) -> SafeString:
    """The markup of one display item or choice question of a published version, for the answers and errors shown.

    ``language`` is only part of the key: the template translates into the active language.
    """
    from assessments.services import frozen_form

    form = frozen_form(*version)
    return render_to_string(TEMPLATE, {"question": _question(form, form.items[key], chosen, list(errors))})
