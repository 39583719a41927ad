"""A FHIR questionnaire's hidden items (a scoring key for staff, a hidden question) never reach the client's
phone: the client walks every page of the imported PHQ-9 in Chromium and never sees them."""

from __future__ import annotations

import copy

import pytest
from django.urls import reverse

from assessments import assignments, links
from tests.assessments import fhir_documents as docs
from tests.assessments.test_fhir_fidelity import STAFF_ONLY, with_bands

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_hidden_items_never_appear_on_the_clients_pages(phone, live_server, make_version, cara, consenting, screenshot):
    resource = docs.questionnaire("phq9", "sdc-contained-valueset")
    hidden_question = copy.deepcopy(resource["item"][0])
    hidden_question.update({"linkId": "hidden-q", "text": "HIDDEN QUESTION"})
    hidden_question["extension"] = [{"url": docs.HIDDEN, "valueBoolean": True}]
    resource["item"].insert(3, hidden_question)
    assert any(STAFF_ONLY in str(node.get("text", "")) for node in resource["item"])  # the file has its key
    consenting(cara)
    assignment = assignments.assignment_create(version=make_version(with_bands(resource)), respondent=cara)
    assignments.assignment_dispatch(assignment_id=assignment.pk)
    token = links.link_issue(assignment=assignment)

    client = phone.new_page()
    client.goto(live_server.url + reverse("assessments:start", args=[token]))
    seen = [client.content()]
    client.get_by_role("link", name="Start").first.click()
    for _page in range(12):
        seen.append(client.content())
        assert STAFF_ONLY not in client.inner_text("body") and "HIDDEN QUESTION" not in client.inner_text("body")
        if client.get_by_role("heading", name="Check your answers").count():
            break
        for group in client.locator("fieldset").all():
            group.locator("input").first.check()
        client.get_by_role("button", name="Save and continue").click()
    screenshot("review", on=client)
    shown = "".join(seen)
    assert docs.MEASURES["phq9"]["items"][0][1] in shown and docs.MEASURES["phq9"]["items"][8][1] in shown
    assert STAFF_ONLY not in shown and "HIDDEN QUESTION" not in shown and "hidden-q" not in shown
