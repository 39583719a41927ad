"""An owner revises a questionnaire in a real browser: preview, new version, edit, publish."""

from __future__ import annotations

import pytest

from assessments.models import InstrumentStatus, InstrumentVersion

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def signed_in_owner(demo, bundled_questionnaire, sign_in):
    return sign_in("tess@demo", "tandem-demo-tess")


def test_an_owner_copies_a_library_questionnaire_adapts_and_publishes_it(
    signed_in_owner, live_server, screenshot, django_db_blocker
):
    """The library's questionnaire is read-only to a practice: Tess makes her own copy, then publishes it."""
    page = signed_in_owner
    original = InstrumentVersion.objects.published().get(instrument__slug="interdependence-in-relationships")
    page.goto(f"{live_server.url}/admin/assessments/instrumentversion/{original.pk}/change/")
    assert page.get_by_text("its content is frozen").is_visible()
    page.get_by_role("link", name="Preview as the client sees it").click()
    page.wait_for_url("**/preview/")
    assert page.get_by_role("group", name="I know what matters to me").count() == 1
    screenshot("1-preview")
    page.goto(f"{live_server.url}/admin/assessments/instrument/{original.instrument_id}/change/")
    page.get_by_role("button", name="Make a copy for my practice").click()
    page.wait_for_selector("text=is now your own draft")
    screenshot("2-own-draft")
    page.get_by_label("Version label").fill("1.1")
    page.get_by_role("button", name="Save and continue editing").click()
    page.wait_for_selector("text=was changed successfully")
    page.get_by_role("button", name="Publish").click()
    page.wait_for_selector("text=Published.")
    screenshot("3-published")
    copy = InstrumentVersion.objects.get(instrument__owner__isnull=False)
    assert (copy.status, copy.label) == (InstrumentStatus.PUBLISHED, "1.1")
    assert copy.instrument.owner.memberships.filter(user__username="tess@demo").exists()
    original.refresh_from_db()
    assert (
        original.status == InstrumentStatus.PUBLISHED and original.instrument.owner is None
    )  # the library's, untouched
