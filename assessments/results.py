"""Reading results: one response in full, a respondent's history, change over time, and the audit trail.

Everything here reads a constant number of queries whatever the number of responses: parsed
versions come from the per-process cache (``services.published_form``), and a respondent's
history is one query.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from assessments import scoring
from assessments.models import AccessAction, AccessEvent, Assignment, Response
from assessments.services import published_form

# --- The audit trail ------------------------------------------------------------------------------------------


#: Access events written per INSERT when many are logged at once (an export).
ACCESS_BATCH = 1000


def record_access(
    *,
    user: Any,
    action: str,
    respondent_ids: Iterable[int] = (),
    responses: Iterable[Response] = (),
    note: str = "",
) -> int:
    """Append who looked at, exported or changed whose responses: one event per respondent (or response).

    Written in batches as ``responses`` is read, so logging an export of 50,000 holds a batch, not all of them.
    """
    username = user.get_username() if user is not None and hasattr(user, "get_username") else ""
    user_id = getattr(user, "pk", None)
    action = AccessAction(action)
    events = itertools.chain(
        (
            AccessEvent(
                user_id=user_id,
                username=username,
                action=action,
                respondent_id=response.respondent_id,
                response_id=response.pk,
                note=note[:200],
            )
            for response in responses
        ),
        (
            AccessEvent(user_id=user_id, username=username, action=action, respondent_id=pk, note=note[:200])
            for pk in dict.fromkeys(respondent_ids)
        ),
    )
    written = 0
    with transaction.atomic():
        while batch := list(itertools.islice(events, ACCESS_BATCH)):
            AccessEvent.objects.bulk_create(batch)
            written += len(batch)
    return written


# --- Change over time ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    """A scale's change from an earlier response: the difference, and RCI and outcome when the scale has them."""

    since: datetime
    before: float
    after: float
    rci: float | None = None
    direction: str | None = None
    outcome: str | None = None

    @property
    def difference(self) -> float:
        return self.after - self.before


def change_between(scale: scoring.ScaleSpec, before: float | None, after: float | None, since: datetime):
    if before is None or after is None:
        return None
    if not scale.has_reliable_change:
        return Change(since, before, after)
    reliable = scoring.reliable_change_for(scale, before, after)
    outcome = scoring.outcome_for(scale, before, after) if scale.clinical_cutoff is not None else None
    return Change(since, before, after, reliable.rci, str(reliable.direction), outcome and str(outcome))


def _value(response: Response | None, key: str) -> float | None:
    if response is None:
        return None
    return response.scores.get("scales", {}).get(key, {}).get("value")


# --- One response -------------------------------------------------------------------------------------------------


@dataclass
class ResponseDetail:
    response: Response
    sections: list[dict[str, Any]]
    scales: list[dict[str, Any]]
    risk_flags: list[dict[str, Any]]
    duration: timedelta | None
    first: Response | None
    previous: Response | None


def response_detail(response: Response, *, user: Any = None) -> ResponseDetail:
    """Every question with its answer, every scale with its band, meaning and change since the first and
    the previous response to the same questionnaire. Two queries besides the response itself.

    Given the ``user`` reading it, a reliability their practice adopted from its own responses
    (``reliability_estimates``) replaces the published one for reliable change, and says so.
    """
    from assessments.reliability_estimates import adoptions_for, with_adopted

    form = published_form(response.version)
    adopted = adoptions_for(response.version_id, user)
    first = previous = None
    if response.completed_at is not None:  # an unfinished response has nothing before it to compare with
        earlier = Response.objects.filter(
            respondent_id=response.respondent_id,
            version__instrument_id=response.version.instrument_id,
            completed_at__lt=response.completed_at,
        ).only("pk", "completed_at", "scores")
        first = earlier.order_by("completed_at", "pk").first()
        previous = earlier.order_by("-completed_at", "-pk").first()
    sections = []
    for page in form.pages:
        rows = []
        for item in page["items"]:
            if item["type"] in ("section", "display"):
                continue
            raw = response.answers.get(item["key"])
            rows.append(
                {
                    "key": item["key"],
                    "text": item["text"],
                    "answer": answer_label(item, raw),
                    "value": _option_value(item, raw),
                    "reverse_keyed": item["reverse_keyed"],
                    "answered": raw not in (None, "", []),
                }
            )
        if rows:
            sections.append({"heading": page["heading"], "rows": rows})
    scales = []
    for published in form.spec.scales:
        spec = with_adopted(published, adopted.get(published.key))
        stored = response.scores.get("scales", {}).get(spec.key, {})
        value = stored.get("value")
        band = scoring.band_for(spec, value) if value is not None else None
        scales.append(
            {
                "key": spec.key,
                "label": spec.label,
                "value": value,
                "band": band.label if band else stored.get("band"),
                "meaning": band.meaning if band else "",
                "severity": band.severity if band else None,
                "cutoff": spec.clinical_cutoff,
                "clinical": stored.get("clinical"),
                "reason": stored.get("reason"),
                "prorated": stored.get("prorated"),
                "reliability_from": adopted[spec.key].n if spec is not published else None,
                "since_first": first and change_between(spec, _value(first, spec.key), value, first.completed_at),
                "since_previous": previous
                and change_between(spec, _value(previous, spec.key), value, previous.completed_at),
            }
        )
    duration = None
    if response.started_at and response.completed_at:
        duration = response.completed_at - response.started_at
    return ResponseDetail(
        response=response,
        sections=sections,
        scales=scales,
        risk_flags=response.scores.get("risk_flags", []),
        duration=duration,
        first=first,
        previous=previous,
    )


def answer_label(item: dict, raw: object) -> str:
    """The answer as the respondent saw it: option labels for choices, the text or number otherwise."""
    if raw in (None, "", []):
        return ""
    if item["type"] in ("single_choice", "multiple_choice"):
        labels = {option["code"]: option["label"] for option in item.get("_options") or item["options"]}
        codes = raw if isinstance(raw, list) else [raw]
        return ", ".join(labels.get(str(code), str(code)) for code in codes)
    return str(raw)


def _option_value(item: dict, raw: object) -> int | None:
    if item["type"] == "integer" and isinstance(raw, int):
        return raw
    if item["type"] != "single_choice" or raw in (None, ""):
        return None
    for option in item.get("_options") or item["options"]:
        if raw in (option["code"], option["value"]):
            return option["value"]
    return None


# --- A respondent's history ---------------------------------------------------------------------------------------


@dataclass
class ScaleHistory:
    key: str
    label: str
    spec: scoring.ScaleSpec
    points: list[tuple[datetime, float]] = field(default_factory=list)


@dataclass
class InstrumentHistory:
    """One questionnaire's responses over time, oldest first, with the scales of its latest version.

    ``main`` is the total when the questionnaire has one, else its first scale.
    """

    instrument_id: int
    title: str
    responses: list[Response]
    scales: list[ScaleHistory]
    main: ScaleHistory | None

    def change(self) -> Change | None:
        """The main scale's change from the first to the latest response."""
        if self.main is None or len(self.main.points) < 2:
            return None
        (first_at, first), (_last_at, last) = self.main.points[0], self.main.points[-1]
        return change_between(self.main.spec, first, last, first_at)


def respondent_history(respondent_id: int) -> list[InstrumentHistory]:
    """Completed responses of one respondent grouped by questionnaire: one query, whatever their number."""
    responses = list(
        Response.objects.completed()
        .filter(respondent_id=respondent_id)
        .select_related("version", "version__instrument")
        .defer("version__definition")
        .order_by("completed_at", "pk")
    )
    grouped: dict[int, list[Response]] = {}
    for response in responses:
        grouped.setdefault(response.version.instrument_id, []).append(response)
    histories = []
    for instrument_id, group in grouped.items():
        latest = published_form(group[-1].version)
        totals = {scale["key"] for scale in latest.document["scales"] if scale["total"]}
        scales = [
            ScaleHistory(
                spec.key,
                spec.label,
                spec,
                [(r.completed_at, value) for r in group if (value := _value(r, spec.key)) is not None],
            )
            for spec in latest.spec.scales
        ]
        main = next((scale for scale in scales if scale.key in totals), scales[0] if scales else None)
        histories.append(InstrumentHistory(instrument_id, group[-1].version.instrument.title, group, scales, main))
    return sorted(histories, key=lambda history: history.title)


# --- The review queue ---------------------------------------------------------------------------------------------


@dataclass
class ReviewQueue:
    unreviewed: list[Response]
    expiring: list[Assignment]
    overdue: list[Assignment]


#: How far ahead an unfinished assignment counts as expiring, and how far back an expired one is overdue.
EXPIRING_WITHIN = timedelta(days=2)
OVERDUE_FOR = timedelta(days=30)
QUEUE_LIMIT = 200


def _queue(user: Any, now: datetime):
    """The three lists of the review queue as querysets, for the respondents ``user`` may see."""
    unreviewed = Response.objects.for_user(user).needing_review().order_by("-flagged", "completed_at")
    assignments = Assignment.objects.for_user(user)
    expiring = assignments.expiring_within(now, EXPIRING_WITHIN).order_by("expires_at")
    overdue = assignments.expired_since(now - OVERDUE_FOR).order_by("-expires_at")
    return unreviewed, expiring, overdue


def review_queue(user: Any, *, now: datetime | None = None) -> ReviewQueue:
    """What needs the therapist: unreviewed responses (risk first), links about to expire, links that expired
    unanswered in the last 30 days. Three queries."""
    unreviewed, expiring, overdue = _queue(user, now or timezone.now())

    def rows(queryset) -> list:
        return list(queryset.select_related("version", "respondent").defer("version__definition")[:QUEUE_LIMIT])

    return ReviewQueue(rows(unreviewed), rows(expiring), rows(overdue))


def review_counts(user: Any, *, now: datetime | None = None) -> dict[str, int]:
    """How long each list of the review queue is, counted by the database (for the admin's front page)."""
    unreviewed, expiring, overdue = _queue(user, now or timezone.now())
    totals = unreviewed.order_by().aggregate(unreviewed=Count("pk"), flagged=Count("pk", filter=Q(flagged=True)))
    return {**totals, "expiring": expiring.order_by().count(), "overdue": overdue.order_by().count()}


@transaction.atomic
def responses_mark_reviewed(*, responses, user: Any) -> int:
    """Record who reviewed which responses, and when; already reviewed ones keep their first review."""
    pending = list(responses.unreviewed())
    if not pending:
        return 0
    Response.objects.filter(pk__in=[r.pk for r in pending]).update(reviewed_at=timezone.now(), reviewed_by=user)
    record_access(user=user, action=AccessAction.REVIEWED, responses=pending)
    return len(pending)
