"""The couple report: both partners' scores side by side, the three lists, agreement per scale, and over time.

Built from the two partners' stored responses (the therapist sees both answers here, and only here) and
drawn with the engine's chart machinery (:mod:`assessments.charts`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from assessments import agreement, scoring
from assessments.charts import history_charts
from assessments.models import Assignment, Response
from assessments.results import InstrumentHistory, ScaleHistory, answer_label, change_between
from assessments.services import published_form
from clients.couples.models import CoupleAssignment, CoupleAssignmentStatus
from clients.couples.services import couple_agreement

#: The scale the agreement chart draws on: a percentage from 0 to 100.
PERCENT = scoring.ItemSpec("percent", 0, 100)


@dataclass
class CoupleReport:
    couple_assignment: CoupleAssignment
    responses: tuple[Response | None, Response | None]
    scales: list[dict[str, Any]]
    lists: list[dict[str, Any]]
    charts: list[dict[str, Any]]
    earlier: CoupleAssignment | None

    @property
    def answered(self) -> list[Response]:
        return [response for response in self.responses if response is not None]


def _responses(couple_assignment: CoupleAssignment) -> tuple[Response | None, Response | None]:
    rows = {
        row.pk: row.response
        for row in Assignment.objects.filter(
            pk__in=[couple_assignment.assignment_a_id, couple_assignment.assignment_b_id]
        ).select_related("response")
    }
    return rows.get(couple_assignment.assignment_a_id), rows.get(couple_assignment.assignment_b_id)


def _history(couple_assignment: CoupleAssignment) -> list[CoupleAssignment]:
    """The couple's completed questionnaires of the same instrument, oldest first, up to this one."""
    rows = (
        CoupleAssignment.objects.filter(
            couple_id=couple_assignment.couple_id,
            version__instrument_id=couple_assignment.version.instrument_id,
            status=CoupleAssignmentStatus.COMPLETED,
            completed_at__isnull=False,
        )
        .select_related("version", "assignment_a__response", "assignment_b__response")
        .order_by("completed_at", "pk")
    )
    if couple_assignment.completed_at is not None:
        rows = rows.filter(completed_at__lte=couple_assignment.completed_at)
    return list(rows)


def _value(response: Response | None, key: str) -> float | None:
    if response is None:
        return None
    return response.scores.get("scales", {}).get(key, {}).get("value")


def couple_report(couple_assignment: CoupleAssignment) -> CoupleReport:
    form = published_form(couple_assignment.version)
    doc, spec = form.document, form.spec
    responses = _responses(couple_assignment)
    compared = couple_agreement(couple_assignment)
    history = _history(couple_assignment)
    earlier = next((row for row in reversed(history) if row.pk != couple_assignment.pk), None)
    earlier_responses = (
        (earlier.assignment_a.response, earlier.assignment_b.response) if earlier is not None else (None, None)
    )
    percents = {scale.key: scale for scale in compared.scales}
    earlier_percents = {row["key"]: row["percent"] for row in (earlier.agreement if earlier else {}).get("scales", [])}
    scales = []
    for scale in spec.scales:
        partners = []
        for response, before in zip(responses, earlier_responses, strict=True):
            value = _value(response, scale.key)
            band = scoring.band_for(scale, value) if value is not None else None
            change = before and change_between(scale, _value(before, scale.key), value, before.completed_at)
            partners.append({"value": value, "band": band.label if band else "", "change": change})
        shared = percents.get(scale.key)
        scales.append(
            {
                "label": scale.label,
                "partners": partners,
                "percent": shared.percent if shared else None,
                "compared": shared.compared if shared else 0,
                "earlier_percent": earlier_percents.get(scale.key),
            }
        )
    return CoupleReport(
        couple_assignment=couple_assignment,
        responses=responses,
        scales=scales,
        lists=_lists(doc, compared),
        charts=_charts(couple_assignment, history),
        earlier=earlier,
    )


def _lists(doc: dict[str, Any], compared: agreement.Agreement) -> list[dict[str, Any]]:
    items = {item["key"]: item for item in doc["items"]}

    def rows(found: list[agreement.ItemComparison]) -> list[dict[str, Any]]:
        return [
            {
                "text": item.text,
                "a": answer_label(items[item.key], _code(items[item.key], item.a)),
                "b": answer_label(items[item.key], _code(items[item.key], item.b)),
            }
            for item in found
        ]

    return [
        {
            "key": "strengths",
            "title": _("Shared strengths"),
            "hint": _("Both answered in the healthy direction."),
            "rows": rows(compared.strengths),
        },
        {
            "key": "growth",
            "title": _("Shared growth areas"),
            "hint": _("Both answered in the unhealthy direction."),
            "rows": rows(compared.growth_areas),
        },
        {
            "key": "different",
            "title": _("Different views"),
            "hint": _("Answers two or more points apart."),
            "rows": rows(compared.different_views),
        },
    ]


def _code(item: dict[str, Any], value: int | None) -> object:
    """The option a value was chosen by, so the answer reads as the partner saw it."""
    if value is None or item["type"] != "single_choice":
        return value
    return next((option["code"] for option in item["_options"] if option["value"] == value), value)


def _charts(couple_assignment: CoupleAssignment, history: list[CoupleAssignment]) -> list[dict[str, Any]]:
    """A chart of each partner's scores and one of the agreement per scale, over the couple's questionnaires."""
    if not history:
        return []
    form = published_form(couple_assignment.version)
    couple = couple_assignment.couple
    title = couple_assignment.version.title
    panels = []
    for index, (partner, side) in enumerate(((couple.partner_a, "assignment_a"), (couple.partner_b, "assignment_b"))):
        answered = [getattr(row, side).response for row in history if getattr(row, side).response is not None]
        scales = [
            ScaleHistory(
                spec.key,
                spec.label,
                spec,
                [(r.completed_at, value) for r in answered if (value := _value(r, spec.key)) is not None],
            )
            for spec in form.spec.scales
        ]
        totals = {scale["key"] for scale in form.document["scales"] if scale["total"]}
        main = next((scale for scale in scales if scale.key in totals), scales[0] if scales else None)
        partner_history = InstrumentHistory(couple_assignment.version.instrument_id, title, answered, scales, main)
        charts = history_charts(partner_history, chart_id=f"couple-{index + 1}") if answered else []
        panels.append({"title": partner.display_name, "charts": charts})
    agreement_scales = [
        ScaleHistory(
            f"agreement-{spec.key}",
            spec.label,
            scoring.ScaleSpec(key=f"agreement-{spec.key}", label=spec.label, items=(PERCENT,)),
            [
                (row.completed_at, row_scale["percent"])
                for row in history
                for row_scale in row.agreement.get("scales", [])
                if row_scale["key"] == spec.key and row_scale["percent"] is not None
            ],
        )
        for spec in form.spec.scales
    ]
    totals = {f"agreement-{scale['key']}" for scale in form.document["scales"] if scale["total"]}
    main = next((scale for scale in agreement_scales if scale.key in totals), None) or (
        agreement_scales[0] if agreement_scales else None
    )
    shared = InstrumentHistory(
        couple_assignment.version.instrument_id, _("Positive agreement (%)"), [], agreement_scales, main
    )
    panels.append({"title": _("Positive agreement (%)"), "charts": history_charts(shared, chart_id="couple-agreement")})
    return panels
