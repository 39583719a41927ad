"""axe-core on the therapist's admin pages: no serious or critical violation on any of them."""

from __future__ import annotations

import pytest

from assessments import assignments
from assessments.models import Assignment, Response
from clients.models import Channel, Client
from clients.services import consent_set
from practice.models import Practice
from practice.newsletter.models import Campaign
from tests.browser.conftest import axe_violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_admin_pages_a_therapist_uses_have_no_serious_violation(
    page, live_server, sign_in, bundled_questionnaire, demo
):
    cara = Client.objects.get(first_name="Cara")
    consent_set(client=cara, channel=Channel.QUESTIONNAIRES, given=True, source="told the therapist in session")
    assignment = assignments.assignment_create(version=bundled_questionnaire, respondent=cara)
    response = Response.objects.filter(respondent=cara).latest("completed_at")
    campaign = Campaign.objects.create(
        practice=Practice.objects.get(name__startswith="Harbour Light"), subject="Spring news", body_markdown="Hi"
    )
    pages = {
        "front page": "/admin/",
        "client list": "/admin/clients/client/",
        "client page": f"/admin/clients/client/{cara.pk}/change/",
        "assign form": f"/admin/clients/client/assign/?ids={cara.pk}",
        "assignment page": f"/admin/assessments/assignment/{assignment.pk}/change/",
        "assignment list": "/admin/assessments/assignment/",
        "response page": f"/admin/assessments/response/{response.pk}/change/",
        "review queue": "/admin/assessments/response/queue/",
        "campaign list": "/admin/newsletter/campaign/",
        "campaign page": f"/admin/newsletter/campaign/{campaign.pk}/change/",
        "send confirmation": f"/admin/newsletter/campaign/{campaign.pk}/campaign/send/",
    }
    sign_in("tess@demo", "tandem-demo-tess")
    found = {}
    for name, path in pages.items():
        assert page.goto(live_server.url + path).status == 200, name
        serious = [v for v in axe_violations(page) if v["impact"] in ("serious", "critical")]
        if serious:
            found[name] = serious
    assert found == {}
    assert Assignment.objects.filter(pk=assignment.pk).exists()
