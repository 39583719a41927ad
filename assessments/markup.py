"""The questions of the respondent's form page as HTML, built in Python rather than in a template.

The form page is the hot path of the link pages (``bench/form.py`` holds it to half the throughput
of a bare view), and a template loop over every option of every question costs more than the rest
of the request. So each question's fixed parts (its text, labels, option markup) are escaped once
per published form and kept in ``PublishedForm.derived``; a request only joins them with its values,
its errors and ``checked``. The markup is the same as a template would write: a fieldset with a legend
for choices, a label for other questions, errors linked with ``aria-describedby``.
"""

from __future__ import annotations

from typing import Any

from django.template.defaultfilters import linebreaksbr
from django.utils import translation
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from assessments.forms import FIELD_PREFIX
from assessments.services import PublishedForm


def _fixed(form_plan: PublishedForm, item: dict) -> dict[str, Any]:
    """The parts of one question that never change for its form (and language), escaped."""
    key = ("question", item["key"], translation.get_language())
    parts = form_plan.derived.get(key)
    if parts is None:
        kind = "radio" if item["type"] == "single_choice" else "checkbox"
        name = escape(FIELD_PREFIX + item["key"])
        hint = ""
        if item["type"] == "multiple_choice":
            hint = f'<p class="hint">{escape(_("Choose all that apply."))}</p>\n'
        elif item["type"] == "integer" and item["min"] is not None and item["max"] is not None:
            text = _("A whole number from %(low)s to %(high)s.") % {"low": item["min"], "high": item["max"]}
            hint = f'<p class="hint" id="{{id}}-hint">{escape(text)}</p>\n'
        parts = {
            "name": name,
            "text": escape(item["text"]),
            "display": linebreaksbr(item["text"], autoescape=True),
            "optional": "" if item["required"] else f' <span class="optional">({escape(_("optional"))})</span>',
            "hint": hint,
            "error_label": escape(_("Error:")),
            "choices": [
                (
                    option["code"],
                    f'<label class="choice"><input type="{kind}" name="{name}" value="{escape(option["code"])}"',
                    f"> <span>{escape(option['label'])}</span></label>\n",
                )
                for option in item.get("_options") or item["options"]
            ],
        }
        form_plan.derived[key] = parts
    return parts


def question_html(form_plan: PublishedForm, item: dict, html_id: str, value: object, errors: list[str]) -> SafeString:
    """One item of the page: a display text, or a question with its answer so far and its errors."""
    fixed = _fixed(form_plan, item)
    if item["type"] == "display":
        return mark_safe(f'<p class="display">{fixed["display"]}</p>\n')  # noqa: S308 - escaped in _fixed
    error_id = f"{html_id}-error"
    shown_errors = "".join(
        f'<p class="error" id="{error_id}"><span class="visually-hidden">{fixed["error_label"]}</span> '
        f"{escape(error)}</p>\n"
        for error in errors
    )
    has_error = " has-error" if errors else ""
    if item["type"] in ("single_choice", "multiple_choice"):
        chosen = {str(v) for v in (value if isinstance(value, list) else [] if value is None else [value])}
        invalid = ' aria-invalid="true"' if errors else ""
        choices = "".join(
            f"{head}{' checked' if code in chosen else ''}{invalid}{tail}" for code, head, tail in fixed["choices"]
        )
        described = f' aria-describedby="{error_id}"' if errors else ""
        html = (
            f'<fieldset class="question{has_error}" id="{html_id}"{described}>\n'
            f"<legend>{fixed['text']}{fixed['optional']}</legend>\n{fixed['hint']}{shown_errors}"
            f'<div class="choices">\n{choices}</div>\n</fieldset>\n'
        )
        return mark_safe(html)  # noqa: S308 - every part is escaped
    shown = "" if value is None or isinstance(value, list) else escape(value)
    if errors:
        aria = f' aria-invalid="true" aria-describedby="{error_id}"'
    elif fixed["hint"]:
        aria = f' aria-describedby="{html_id}-hint"'
    else:
        aria = ""
    if item["type"] == "integer":
        control = (
            f'<input class="number" type="text" inputmode="numeric" id="{html_id}" name="{fixed["name"]}" '
            f'value="{shown}" autocomplete="off"{aria}>\n'
        )
    else:
        control = (
            f'<textarea id="{html_id}" name="{fixed["name"]}" rows="4" maxlength="5000"{aria}>{shown}</textarea>\n'
        )
    html = (
        f'<div class="question{has_error}">\n<label for="{html_id}">{fixed["text"]}{fixed["optional"]}</label>\n'
        f"{fixed['hint'].replace('{id}', html_id)}{shown_errors}{control}</div>\n"
    )
    return mark_safe(html)  # noqa: S308 - every part is escaped
