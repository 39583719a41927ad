"""The admin preview shows each question with the very markup the client's form page has."""

from __future__ import annotations

import re

from django.urls import reverse

from tests.assessments.conftest import small_document

#: One item of a page: a question (a fieldset, or a div around a label and its control) or a display text.
ITEM = re.compile(
    r'<fieldset class="question.*?</fieldset>|<div class="question.*?</div>|<p class="display">.*?</p>', re.S
)


def every_kind_of_item() -> dict:
    doc = small_document()
    doc["items"][1:1] = [
        {"key": "welcome", "type": "display", "text": "Take your time.\nThere are no wrong answers."},
        {
            "key": "places",
            "type": "multiple_choice",
            "text": "Where did it happen? <all that apply>",
            "options": [
                {"code": "home", "label": "At home & with family", "value": 0},
                {"code": "work", "label": "At work", "value": 1},
            ],
        },
        {"key": "sleep", "type": "integer", "text": "Hours of sleep last night", "min": 0, "max": 24},
    ]
    return doc


def page_items(html: str) -> list[str]:
    return [" ".join(item.split()) for item in ITEM.findall(html)]


def test_the_preview_renders_each_question_as_the_client_sees_it(client, tess, open_assignment):
    assignment, token = open_assignment(every_kind_of_item())
    on_the_form = page_items(client.get(reverse("assessments:page", args=[token, 1])).content.decode())
    client.force_login(tess)
    preview = client.get(reverse("admin:assessments_instrumentversion_preview", args=[assignment.version_id]))
    in_the_preview = page_items(preview.content.decode())

    # Every kind of item is on the client's page; the preview also shows the conditional question ("harm").
    assert len(on_the_form) == 6
    assert any("<textarea" in item for item in on_the_form) and any(
        'inputmode="numeric"' in item for item in on_the_form
    )
    assert "&lt;all that apply&gt;" in on_the_form[1] and "At home &amp; with family" in on_the_form[1]
    assert in_the_preview == [*on_the_form[:5], in_the_preview[5], *on_the_form[5:]]
    assert "Thoughts of harming yourself" in in_the_preview[5]
