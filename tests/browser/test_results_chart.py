"""The therapist reads a client's history in a real browser: the trend chart drawn on the server."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from assessments import services
from assessments.models import Response
from clients.models import Client

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_client_page_shows_a_trend_chart_with_bands_cutoff_and_a_point_per_response(
    page, live_server, demo, make_version, sign_in, screenshot
):
    cara = Client.objects.get(first_name="Cara")
    version = make_version()
    lows = ["3", "3", "2", "2", "1", "1"]
    for weeks_ago, low in zip(range(len(lows) * 3, 0, -3), lows, strict=True):
        answers = {"low": low, "calm": str(3 - int(low)), "harm": "0"}
        scores = services.version_score(version, answers)
        completed = timezone.now() - timedelta(weeks=weeks_ago)
        Response.objects.create(
            version=version,
            respondent=cara,
            answers=answers,
            scores=scores,
            started_at=completed - timedelta(minutes=5),
            completed_at=completed,
        )
    sign_in("tess@demo", "tandem-demo-tess")
    page.goto(f"{live_server.url}/admin/clients/client/{cara.pk}/change/")
    section = page.locator("section.history-instrument", has_text="Mood check")
    chart = section.locator("svg.trend-chart").first
    chart.scroll_into_view_if_needed()
    assert chart.locator("rect.band").count() == 3
    assert chart.locator("line.cutoff").count() == 1
    assert chart.locator('.point[data-scale="total"]').count() == len(lows)
    assert "6 responses" in chart.locator("desc").text_content()
    assert chart.locator("title").first.text_content() == "Mood check: Total"
    assert chart.locator("text.band-label").all_text_contents() == ["Low", "Moderate", "High"]
    assert "(Low)" in chart.locator('.point[data-scale="total"]').last.locator("title").text_content()
    page.locator(".assessment-history").screenshot(path=str(screenshot("history-chart").with_suffix(".element.png")))
    history = section.locator(".history-table tbody tr")
    assert history.count() == len(lows)
