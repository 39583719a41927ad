"""An owner revises a questionnaire in a real browser: preview, new version, edit, publish."""

from __future__ import annotations

import pytest

from assessments.models import InstrumentStatus, InstrumentVersion

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def signed_in_owner(demo, bundled_questionnaire, sign_in):
    return sign_in("tess@demo", "tandem-demo-tess")


def test_an_owner_previews_and_publishes_a_new_version(signed_in_owner, live_server, screenshot, django_db_blocker):
    page = signed_in_owner
    original = InstrumentVersion.objects.get(instrument__slug="interdependence-in-relationships")
    page.goto(f"{live_server.url}/admin/assessments/instrumentversion/{original.pk}/change/")
    assert page.get_by_text("its content is frozen").is_visible()
    page.get_by_role("link", name="Preview as the client sees it").click()
    page.wait_for_url("**/preview/")
    assert page.get_by_role("group", name="I know what matters to me").count() == 1
    screenshot("1-preview")
    page.go_back()
    page.get_by_role("button", name="Edit as a new version").click()
    page.wait_for_selector("text=is a draft copy of version 1")
    screenshot("2-draft")
    page.get_by_label("Version label").fill("1.1")
    page.get_by_role("button", name="Save and continue editing").click()
    page.wait_for_selector("text=was changed successfully")
    page.get_by_role("button", name="Publish").click()
    page.wait_for_selector("text=Published. Earlier published versions are now retired.")
    screenshot("3-published")
    versions = dict(InstrumentVersion.objects.values_list("number", "status"))
    assert versions == {1: InstrumentStatus.RETIRED, 2: InstrumentStatus.PUBLISHED}
    assert InstrumentVersion.objects.get(number=2).label == "1.1"
