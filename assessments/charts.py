"""Trend charts as plain SVG, drawn on the server: no JavaScript, no chart library, nothing from elsewhere.

Each chart shows the scales that share one score range. Every scale has its own colour from a
colour-blind-safe palette (Okabe and Ito's, darkened where a hue was too light on white) *and* its own
point shape and dash pattern, so neither colour vision nor a greyscale print is needed to tell them
apart; the main scale (the total) is drawn boldest. The main scale's bands are shaded and labelled
inside the plot, its cut-off is a dashed line, and where a scale has reliable-change parameters, a
change between two responses beyond measurement error is marked "RC" between their points. The
legend is HTML below the drawing, so no label is ever cut, at any width. The ``<title>`` and
``<desc>`` give a text alternative, and every point and mark has a tooltip.

This module is geometry only: it turns a history into a :class:`Chart`, plain values whose numbers are
already formatted for SVG attributes (a dot for the decimal, whatever the language). The markup is
``assessments/includes/trend_chart.svg.html``, so the template's auto-escaping guards every label.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.translation import gettext as _

from assessments import scoring
from assessments.results import InstrumentHistory, ScaleHistory

WIDTH, HEIGHT = 640, 280
LEFT, RIGHT, TOP, BOTTOM = 52, 16, 16, 44
PLOT_W, PLOT_H = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
BAND_FILLS = ("#e8f1e4", "#f6efd9", "#f7e2cf", "#f3d2cc", "#ecc4c4")
#: Okabe & Ito's blue, vermilion, bluish green and reddish purple (the last two darkened to reach 3:1 on
#: white), then black: distinct for the common colour-vision deficiencies, each with its shape and dash.
PALETTE = ("#0072b2", "#d55e00", "#00795a", "#a8478a", "#222222")
DASHES = ("", "6 3", "2 3", "8 3 2 3", "1 2")
SHAPES = ("circle", "square", "triangle", "diamond", "triangle-down")
#: Legend swatches: a short line with the point's shape in its middle.
SWATCH_W, SWATCH_H = 34, 14


@dataclass(frozen=True)
class Frame:
    """The plot area and the fixed positions around it."""

    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    right: int = LEFT + PLOT_W
    top: int = TOP
    bottom: int = TOP + PLOT_H
    plot_width: int = PLOT_W
    tick_start: int = LEFT - 3
    tick_label_x: int = LEFT - 6
    band_label_x: int = LEFT + PLOT_W - 6  # inside the plot, right-aligned
    cutoff_label_x: int = LEFT + 4
    date_label_y: int = TOP + PLOT_H + 16


@dataclass(frozen=True)
class Band:
    label: str
    low: str
    high: str
    fill: str
    y: str
    height: str
    label_y: str


@dataclass(frozen=True)
class ValueTick:
    label: str
    y: str
    label_y: str


@dataclass(frozen=True)
class DateTick:
    label: str
    x: str
    anchor: str = "middle"


@dataclass(frozen=True)
class Cutoff:
    value: str
    y: str
    label_y: str


@dataclass(frozen=True)
class Marker:
    """A point's shape: a circle at (cx, cy), a square from (x, y), or a polygon through ``points``."""

    shape: str
    cx: str
    cy: str
    x: str = ""
    y: str = ""
    points: str = ""
    tip: str = ""


@dataclass(frozen=True)
class LegendEntry:
    """A swatch (its own little SVG, ``SWATCH_W`` by ``SWATCH_H``) and the scale's whole label."""

    label: str
    marker: Marker
    width: int = SWATCH_W
    height: int = SWATCH_H


@dataclass(frozen=True)
class ReliableMark:
    """A change between two responses beyond measurement error, marked halfway between their points."""

    x: str
    y: str
    box_x: str
    box_y: str
    text_y: str
    direction: str
    tip: str


@dataclass(frozen=True)
class Series:
    key: str
    label: str
    colour: str
    width: str
    dash: str
    points: str
    markers: list[Marker]
    legend: LegendEntry
    reliable_marks: list[ReliableMark] = field(default_factory=list)


@dataclass(frozen=True)
class Chart:
    id: str
    title: str
    summary: str
    scales: list[ScaleHistory]
    bands: list[Band]
    value_ticks: list[ValueTick]
    date_ticks: list[DateTick]
    cutoff: Cutoff | None
    series: list[Series]
    frame: Frame = field(default_factory=Frame)

    @property
    def has_reliable_marks(self) -> bool:
        return any(series.reliable_marks for series in self.series)


def _fmt(value: float) -> str:
    return f"{value:g}" if abs(value - round(value)) > 1e-9 else str(round(value))


def _coord(value: float) -> str:
    return f"{value:.1f}"


def _date(moment: datetime) -> str:
    return date_format(timezone.localtime(moment), "j M Y")


def history_charts(history: InstrumentHistory, *, chart_id: str = "chart") -> list[Chart]:
    """One chart per group of scales with the same score range; the group with the main scale first."""
    groups: dict[tuple[float, float], list[ScaleHistory]] = {}
    for scale in history.scales:
        if scale.points:
            groups.setdefault(scale.spec.score_range, []).append(scale)
    ordered = sorted(groups.values(), key=lambda group: history.main not in group)
    charts = []
    for index, group in enumerate(ordered, start=1):
        main = history.main if history.main in group else group[0]
        group = [main] + [scale for scale in group if scale is not main]
        charts.append(_chart(history.title, group, main.spec, f"{chart_id}-{index}"))
    return charts


def _summary(title: str, main: ScaleHistory) -> str:
    (first_at, first), (last_at, last) = main.points[0], main.points[-1]
    if len(main.points) == 1:
        return _("%(title)s, %(scale)s: %(value)s on %(date)s.") % {
            "title": title,
            "scale": main.label,
            "value": _fmt(first),
            "date": _date(first_at),
        }
    text = _(
        "%(title)s, %(scale)s: %(count)s responses, from %(first)s on %(first_date)s to %(last)s on %(last_date)s."
    )
    return text % {
        "title": title,
        "scale": main.label,
        "count": len(main.points),
        "first": _fmt(first),
        "first_date": _date(first_at),
        "last": _fmt(last),
        "last_date": _date(last_at),
    }


class _Axes:
    """Maps a moment to x and a score to y inside the plot area."""

    def __init__(self, spec: scoring.ScaleSpec, moments: list[datetime]) -> None:
        self.low, self.high = spec.score_range
        self.span = (self.high - self.low) or 1.0
        self.start, self.end = moments[0].timestamp(), moments[-1].timestamp()

    def x(self, moment: datetime) -> float:
        if self.end == self.start:
            return LEFT + PLOT_W / 2
        return LEFT + (moment.timestamp() - self.start) / (self.end - self.start) * PLOT_W

    def y(self, value: float) -> float:
        return TOP + (self.high - min(max(value, self.low), self.high)) / self.span * PLOT_H


def _chart(title: str, scales: list[ScaleHistory], spec: scoring.ScaleSpec, chart_id: str) -> Chart:
    moments = sorted({moment for scale in scales for moment, _value in scale.points})
    axes = _Axes(spec, moments)
    cutoff = None
    if spec.clinical_cutoff is not None:
        cut = axes.y(spec.clinical_cutoff)
        cutoff = Cutoff(_fmt(spec.clinical_cutoff), _coord(cut), _coord(cut - 4))
    return Chart(
        id=chart_id,
        title=f"{title}: {', '.join(scale.label for scale in scales)}",
        summary=_summary(title, scales[0]),
        scales=scales,
        bands=_bands(spec, axes),
        value_ticks=[
            ValueTick(_fmt(tick), _coord(axes.y(tick)), _coord(axes.y(tick) + 4))
            for tick in _ticks(axes.low, axes.high)
        ],
        date_ticks=[
            DateTick(_date(moment), _coord(axes.x(moment)), _anchor(axes.x(moment))) for moment in _date_ticks(moments)
        ],
        cutoff=cutoff,
        series=[_series(index, scale, axes) for index, scale in enumerate(scales)],
    )


def _anchor(x: float) -> str:
    """A date under the plot's first or last point starts or ends there, so the drawing never cuts it."""
    if x < LEFT + 40:
        return "start"
    return "end" if x > LEFT + PLOT_W - 40 else "middle"


def _bands(spec: scoring.ScaleSpec, axes: _Axes) -> list[Band]:
    half = spec.resolution / 2  # integer bands 0-3 and 4-6 meet at 3.5, leaving no gap
    bands = []
    for band in sorted(spec.bands, key=lambda band: band.low):
        top, bottom = axes.y(band.high + half), axes.y(band.low - half)
        bands.append(
            Band(
                label=band.label,
                low=_fmt(band.low),
                high=_fmt(band.high),
                fill=BAND_FILLS[min(max(band.severity, 0), len(BAND_FILLS) - 1)],
                y=_coord(top),
                height=_coord(max(bottom - top, 1)),
                label_y=_coord((top + bottom) / 2 + 4),
            )
        )
    return bands


def _series(index: int, scale: ScaleHistory, axes: _Axes) -> Series:
    shape = SHAPES[index % len(SHAPES)]
    markers = []
    for moment, value in scale.points:
        band = scoring.band_for(scale.spec, value)
        tip = f"{_date(moment)}: {scale.label} {_fmt(value)}" + (f" ({band.label})" if band else "")
        markers.append(_marker(shape, axes.x(moment), axes.y(value), tip))
    return Series(
        key=scale.key,
        label=scale.label,
        colour=PALETTE[index % len(PALETTE)],
        width="2.5" if index == 0 else "1.75",
        dash=DASHES[index % len(DASHES)],
        points=" ".join(f"{axes.x(moment):.1f},{axes.y(value):.1f}" for moment, value in scale.points),
        markers=markers,
        legend=LegendEntry(label=scale.label, marker=_marker(shape, SWATCH_W / 2, SWATCH_H / 2)),
        reliable_marks=_reliable_marks(scale, axes),
    )


def _reliable_marks(scale: ScaleHistory, axes: _Axes) -> list[ReliableMark]:
    """Where the scale has reliable-change parameters: each step between responses beyond measurement error."""
    if not scale.spec.has_reliable_change:
        return []
    marks = []
    for (before_at, before), (after_at, after) in zip(scale.points, scale.points[1:], strict=False):
        change = scoring.reliable_change_for(scale.spec, before, after)
        if not change.reliable:
            continue
        x = (axes.x(before_at) + axes.x(after_at)) / 2
        y = (axes.y(before) + axes.y(after)) / 2
        what = (
            _("Reliable improvement") if change.direction == scoring.Direction.IMPROVED else _("Reliable deterioration")
        )
        tip = _("%(what)s in %(scale)s: %(before)s on %(before_date)s to %(after)s on %(after_date)s") % {
            "what": what,
            "scale": scale.label,
            "before": _fmt(before),
            "before_date": _date(before_at),
            "after": _fmt(after),
            "after_date": _date(after_at),
        }
        marks.append(
            ReliableMark(
                x=_coord(x),
                y=_coord(y),
                box_x=_coord(x - 12),
                box_y=_coord(y - 8),
                text_y=_coord(y + 4),
                direction=str(change.direction),
                tip=tip,
            )
        )
    return marks


def _marker(shape: str, cx: float, cy: float, tip: str = "") -> Marker:
    if shape == "square":
        return Marker(shape, _coord(cx), _coord(cy), x=_coord(cx - 4), y=_coord(cy - 4), tip=tip)
    corners = {
        "triangle": ((cx, cy - 5), (cx - 5, cy + 4), (cx + 5, cy + 4)),
        "triangle-down": ((cx, cy + 5), (cx - 5, cy - 4), (cx + 5, cy - 4)),
        "diamond": ((cx, cy - 5), (cx + 5, cy), (cx, cy + 5), (cx - 5, cy)),
    }.get(shape, ())
    points = " ".join(f"{px:.1f},{py:.1f}" for px, py in corners)
    return Marker(shape, _coord(cx), _coord(cy), points=points, tip=tip)


def _ticks(low: float, high: float) -> list[float]:
    span = high - low
    if span <= 0:
        return [low]
    step = next((s for s in (0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500) if span / s <= 8), span / 5)
    first = (low // step) * step
    ticks, value = [], first
    while value <= high + 1e-9:
        if value >= low - 1e-9:
            ticks.append(round(value, 6))
        value += step
    return ticks


def _date_ticks(moments: list[datetime]) -> list[datetime]:
    if len(moments) <= 6:
        return moments
    step = (len(moments) - 1) / 5
    return [moments[round(index * step)] for index in range(6)]


def history_panels(respondent_id: int) -> list[dict]:
    """What ``assessments/admin/history.html`` shows for one respondent: per questionnaire, its charts,
    a row per response with each scale's score and band, and the change from first to latest."""
    from assessments.results import respondent_history

    panels = []
    for number, history in enumerate(respondent_history(respondent_id), start=1):
        rows = []
        for response in history.responses:
            cells = []
            for scale in history.scales:
                value = response.scores.get("scales", {}).get(scale.key, {}).get("value")
                band = scoring.band_for(scale.spec, value) if value is not None else None
                cells.append({"value": value, "band": band.label if band else ""})
            rows.append({"response": response, "cells": cells})
        panels.append(
            {
                "history": history,
                "charts": history_charts(history, chart_id=f"trend-{number}"),
                "rows": rows,
                "change": history.change(),
            }
        )
    return panels
