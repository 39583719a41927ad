"""A chart people can read: each scale its colour, shape and dash; reliable change marked; the legend whole."""

# ruff: noqa: F811 - make_response is a fixture imported from the results tests

from __future__ import annotations

import pytest
from django.urls import reverse

from assessments import charts, results
from tests.assessments.test_results import chart_svg, make_response  # noqa: F401 - a fixture


def luminance(colour: str) -> float:
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def test_every_scale_differs_by_colour_and_by_shape_and_dash_so_greyscale_prints_still_tell_them_apart():
    count = len(charts.PALETTE)
    assert len(set(charts.PALETTE)) == count
    assert len(set(charts.SHAPES[:count])) == count and len(set(charts.DASHES[:count])) == count
    for colour in charts.PALETTE:
        assert (1.05) / (luminance(colour) + 0.05) >= 3, f"{colour} is too light for a line on white"


@pytest.mark.django_db
def test_a_change_beyond_measurement_error_is_marked_between_the_two_points(client, tess, cara, make_response):
    make_response(cara, {"low": "0", "calm": "3", "harm": "0"}, days_ago=20)  # total 0
    make_response(cara, {"low": "1", "calm": "3", "harm": "0"}, days_ago=10)  # 1: within measurement error
    make_response(cara, {"low": "3", "calm": "0", "harm": "0"}, days_ago=1)  # 6: reliably worse
    (history,) = results.respondent_history(cara.pk)
    (chart,) = charts.history_charts(history)
    (series,) = chart.series
    assert [mark.direction for mark in series.reliable_marks] == ["deteriorated"]
    _first, second, third = series.markers
    mark = series.reliable_marks[0]
    assert float(second.cx) < float(mark.x) < float(third.cx)
    client.force_login(tess)
    page = client.get(reverse("admin:clients_client_change", args=[cara.pk])).content.decode()
    svg = chart_svg(page)
    assert svg.count('<g class="reliable-change"') == 1 and "<title>Reliable deterioration in Total: 1 on" in svg
    assert "reliable change: more than measurement error" in page


@pytest.mark.django_db
def test_a_scale_without_reliable_change_parameters_gets_no_marks(cara, make_response, make_version, make_document):
    doc = make_document()
    for name in ("reference_sd", "reliability"):
        doc["scales"][0].pop(name, None)
    version = make_version(doc)
    make_response(cara, {"low": "0", "calm": "3", "harm": "0"}, days_ago=20, version=version)
    make_response(cara, {"low": "3", "calm": "0", "harm": "0"}, days_ago=1, version=version)
    (history,) = results.respondent_history(cara.pk)
    (chart,) = charts.history_charts(history)
    assert not chart.has_reliable_marks


@pytest.mark.django_db
def test_band_labels_sit_inside_the_plot_and_the_legend_keeps_long_labels_whole(
    client,
    tess,
    cara,
    make_response,
    make_version,
    make_document,
):
    doc = make_document()
    doc["scales"][0]["label"] = "Sense of self and boundaries in close relationships"
    version = make_version(doc)
    make_response(cara, days_ago=1, version=version)
    client.force_login(tess)
    page = client.get(reverse("admin:clients_client_change", args=[cara.pk])).content.decode()
    assert '<span class="trend-legend-label">Sense of self and boundaries in close relationships</span>' in page
    svg = chart_svg(page)
    frame = charts.Frame()
    assert frame.band_label_x < frame.right and 'class="band-label" x="618" y=' in svg
    assert 'text-anchor="end"' in svg
