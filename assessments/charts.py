"""Trend charts as plain SVG, drawn on the server: no JavaScript, no chart library, nothing from elsewhere.

Each chart shows the scales that share one score range: the main scale (the total) as a bold line with
round points, the others thinner, each with its own dash pattern and point shape so that colour is never
the only difference; the main scale's bands shaded and labelled, its cut-off as a dashed line, and a
dated point per response. The ``<title>`` and ``<desc>`` give a text alternative, and every point has a
tooltip with its date, value and band.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from assessments import scoring
from assessments.results import InstrumentHistory, ScaleHistory

WIDTH, HEIGHT = 640, 280
LEFT, RIGHT, TOP, BOTTOM = 52, 120, 16, 44
BAND_FILLS = ("#e8f1e4", "#f6efd9", "#f7e2cf", "#f3d2cc", "#ecc4c4")
DASHES = ("", "6 3", "2 3", "8 3 2 3", "1 2")
SHAPES = ("circle", "square", "triangle", "diamond", "circle")


@dataclass(frozen=True)
class Chart:
    svg: SafeString
    summary: str
    scales: list[ScaleHistory]


def _fmt(value: float) -> str:
    return f"{value:g}" if abs(value - round(value)) > 1e-9 else str(round(value))


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


def _chart(title: str, scales: list[ScaleHistory], spec: scoring.ScaleSpec, chart_id: str) -> Chart:
    low, high = spec.score_range
    span = (high - low) or 1.0
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    moments = sorted({moment for scale in scales for moment, _value in scale.points})
    start, end = moments[0].timestamp(), moments[-1].timestamp()

    def x(moment: datetime) -> float:
        if end == start:
            return LEFT + plot_w / 2
        return LEFT + (moment.timestamp() - start) / (end - start) * plot_w

    def y(value: float) -> float:
        return TOP + (high - min(max(value, low), high)) / span * plot_h

    parts: list[str] = []
    summary = _summary(title, scales[0])
    parts.append(
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" class="trend-chart" '
        f'role="img" aria-labelledby="{chart_id}-title {chart_id}-desc" font-family="sans-serif" font-size="11">'
        f'<title id="{chart_id}-title">{escape(title)}: {escape(", ".join(s.label for s in scales))}</title>'
        f'<desc id="{chart_id}-desc">{escape(summary)}</desc>'
    )
    half = spec.resolution / 2  # integer bands 0-3 and 4-6 meet at 3.5, leaving no gap
    for band in sorted(spec.bands, key=lambda band: band.low):
        top, bottom = y(band.high + half), y(band.low - half)
        fill = BAND_FILLS[min(max(band.severity, 0), len(BAND_FILLS) - 1)]
        parts.append(
            f'<rect class="band" x="{LEFT}" y="{top:.1f}" width="{plot_w}" height="{max(bottom - top, 1):.1f}" '
            f'fill="{fill}"><title>{escape(band.label)}: {_fmt(band.low)} to {_fmt(band.high)}</title></rect>'
            f'<text class="band-label" x="{LEFT + plot_w + 6}" y="{(top + bottom) / 2 + 4:.1f}" fill="#333">'
            f"{escape(band.label)}</text>"
        )
    parts.append(
        f'<line x1="{LEFT}" y1="{TOP + plot_h}" x2="{LEFT + plot_w}" y2="{TOP + plot_h}" stroke="#555"/>'
        f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{TOP + plot_h}" stroke="#555"/>'
    )
    for tick in _ticks(low, high):
        parts.append(
            f'<text x="{LEFT - 6}" y="{y(tick) + 4:.1f}" text-anchor="end" fill="#333">{_fmt(tick)}</text>'
            f'<line x1="{LEFT - 3}" y1="{y(tick):.1f}" x2="{LEFT}" y2="{y(tick):.1f}" stroke="#555"/>'
        )
    if spec.clinical_cutoff is not None:
        cut = y(spec.clinical_cutoff)
        parts.append(
            f'<line class="cutoff" x1="{LEFT}" y1="{cut:.1f}" x2="{LEFT + plot_w}" y2="{cut:.1f}" stroke="#8a1c1c" '
            f'stroke-width="1.5" stroke-dasharray="6 4"><title>{escape(_("Clinical cut-off"))}: '
            f"{_fmt(spec.clinical_cutoff)}</title></line>"
            f'<text x="{LEFT + 4}" y="{cut - 4:.1f}" fill="#8a1c1c">{escape(_("cut-off"))} '
            f"{_fmt(spec.clinical_cutoff)}</text>"
        )
    for moment in _date_ticks(moments):
        parts.append(
            f'<text x="{x(moment):.1f}" y="{TOP + plot_h + 16}" text-anchor="middle" fill="#333">'
            f"{escape(_date(moment))}</text>"
        )
    for index, scale in enumerate(scales):
        dash, shape = DASHES[index % len(DASHES)], SHAPES[index % len(SHAPES)]
        width, colour = (2.5, "#1d4f6e") if index == 0 else (1.5, "#444")
        coords = " ".join(f"{x(moment):.1f},{y(value):.1f}" for moment, value in scale.points)
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        parts.append(
            f'<polyline class="series" data-scale="{escape(scale.key)}" points="{coords}" fill="none" '
            f'stroke="{colour}" stroke-width="{width}"{dash_attr}/>'
        )
        for moment, value in scale.points:
            band = scoring.band_for(scale.spec, value)
            tip = f"{_date(moment)}: {scale.label} {_fmt(value)}" + (f" ({band.label})" if band else "")
            parts.append(_marker(shape, x(moment), y(value), colour, tip, scale.key))
    legend_y = HEIGHT - 10
    for index, scale in enumerate(scales):
        dash = DASHES[index % len(DASHES)]
        lx = LEFT + index * 150
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        colour = "#1d4f6e" if index == 0 else "#444"
        parts.append(
            f'<line x1="{lx}" y1="{legend_y - 4}" x2="{lx + 22}" y2="{legend_y - 4}" stroke="{colour}" '
            f'stroke-width="2"{dash_attr}/>'
            + _marker(SHAPES[index % len(SHAPES)], lx + 11, legend_y - 4, colour, "", "")
            + f'<text x="{lx + 28}" y="{legend_y}" fill="#222">{escape(scale.label[:22])}</text>'
        )
    parts.append("</svg>")
    return Chart(mark_safe("".join(parts)), summary, scales)  # noqa: S308 - every value above is escaped


def _marker(shape: str, cx: float, cy: float, colour: str, tip: str, key: str) -> str:
    title = f"<title>{escape(tip)}</title>" if tip else ""
    data = f' class="point" data-scale="{escape(key)}"' if key else ""
    if shape == "square":
        return f'<rect{data} x="{cx - 4:.1f}" y="{cy - 4:.1f}" width="8" height="8" fill="{colour}">{title}</rect>'
    if shape == "triangle":
        points = f"{cx:.1f},{cy - 5:.1f} {cx - 5:.1f},{cy + 4:.1f} {cx + 5:.1f},{cy + 4:.1f}"
        return f'<polygon{data} points="{points}" fill="{colour}">{title}</polygon>'
    if shape == "diamond":
        points = f"{cx:.1f},{cy - 5:.1f} {cx + 5:.1f},{cy:.1f} {cx:.1f},{cy + 5:.1f} {cx - 5:.1f},{cy:.1f}"
        return f'<polygon{data} points="{points}" fill="{colour}">{title}</polygon>'
    return f'<circle{data} cx="{cx:.1f}" cy="{cy:.1f}" r="4.5" fill="{colour}">{title}</circle>'


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
