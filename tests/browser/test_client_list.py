"""The client list fits a 1280 px screen: no sideways scrolling, every column readable."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("who", ["tess", "uma"])
def test_the_client_list_fits_1280_px(page, live_server, sign_in, bundled_questionnaire, demo, who, screenshot):
    sign_in(f"{who}@demo", f"tandem-demo-{who}")
    page.goto(f"{live_server.url}/admin/clients/client/")
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    hidden = page.locator("#changelist .results").evaluate("e => e.scrollWidth - e.clientWidth")
    screenshot("client-list")
    assert overflow <= 0, f"the page scrolls sideways by {overflow} px"
    assert hidden <= 0, f"{hidden} px of the list are cut off"
    assert page.locator("#result_list thead th").last.is_visible()
