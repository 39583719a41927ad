"""The demo client's chart at 1280 and 390 px: every legend label whole, band labels inside, no sideways scroll."""

from __future__ import annotations

import pytest

from clients.models import Client

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("width", [1280, 390])
def test_the_chart_reads_at_desktop_and_phone_widths(
    chromium, live_server, bundled_questionnaire, demo, width, screenshot
):
    cara = Client.objects.get(first_name="Cara")
    context = chromium.new_context(viewport={"width": width, "height": 900}, locale="en-GB")
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/admin/")
        page.get_by_label("Username").fill("tess@demo")
        page.get_by_label("Password").fill("tandem-demo-tess")
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url(f"{live_server.url}/admin/")
        page.goto(f"{live_server.url}/admin/clients/client/{cara.pk}/change/")
        figure = page.locator("figure.trend").first
        figure.scroll_into_view_if_needed()
        chart = figure.locator("svg.trend-chart")
        series = chart.locator("polyline.series")
        colours = {series.nth(i).get_attribute("stroke") for i in range(series.count())}
        assert len(colours) == series.count() >= 2, "each scale its own colour"
        labels = figure.locator(".trend-legend-label")
        assert labels.count() == series.count()
        for index in range(labels.count()):
            label = labels.nth(index)
            assert label.evaluate("e => e.scrollWidth <= e.clientWidth + 1"), "a legend label is cut"
        box = chart.bounding_box()
        for index in range(chart.locator("text.band-label").count()):
            band_label = chart.locator("text.band-label").nth(index).bounding_box()
            assert box["x"] <= band_label["x"] and band_label["x"] + band_label["width"] <= box["x"] + box["width"]
        figure.screenshot(path=str(screenshot(f"{width}px").with_suffix(".figure.png")))
    finally:
        context.close()
