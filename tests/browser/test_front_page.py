"""The front page is the therapist's day: Uma sees her sessions and what waits; Tess the practice's too."""

from __future__ import annotations

import pytest

from tests.browser.conftest import axe_violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def serious(page) -> list[dict]:
    return [v for v in axe_violations(page) if v["impact"] in ("serious", "critical")]


def panel(page, title: str):
    return page.locator("section.dashboard-panel", has=page.get_by_role("heading", name=title, exact=True))


def test_the_front_page_as_uma_and_as_tess(page, live_server, sign_in, bundled_questionnaire, demo, screenshot):
    sign_in("uma@demo", "tandem-demo-uma")
    for title in ("Appointments", "Questionnaires", "Clients not seen for a while"):
        assert panel(page, title).is_visible(), title
    assert panel(page, "The practice").count() == 0 and panel(page, "Email").count() == 0
    screenshot("uma")
    assert serious(page) == []
    for link in page.locator("section.dashboard-panel th a").all():
        assert link.get_attribute("href").startswith("/admin/"), "every figure links to its list"

    page.get_by_role("button", name="Log out").click()
    sign_in("tess@demo", "tandem-demo-tess")
    questionnaires = panel(page, "Questionnaires")
    assert questionnaires.locator(".dashboard-rows li").count() >= 1, "Cara's latest response waits for review"
    assert questionnaires.get_by_text("since last time").first.is_visible()
    assert panel(page, "The practice").get_by_role("link", name="Active clients").is_visible()
    assert panel(page, "Email").get_by_role("link", name="Sent in the last 7 days").is_visible()
    screenshot("tess")
    assert serious(page) == []
