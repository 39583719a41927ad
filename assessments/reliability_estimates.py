"""Reliability from a practice's own responses: gathering the data, and adopting an estimate.

The maths is in :mod:`assessments.reliability`; this module reads what it needs through the ORM
in a constant number of queries whatever the number of responses, and only from respondents the
user may see (``Response.objects.for_user``, the host's ``respondents_for_user``): another
practice's responses never count.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from assessments import document, reliability, scoring
from assessments.hooks import get_hooks
from assessments.models import AdoptedReliability, InstrumentVersion, Response
from assessments.services import published_form


class AdoptionRefused(ValueError):
    """The estimate cannot be adopted (too few responses, or an alpha that is no reliability)."""


@dataclass(frozen=True)
class ScaleEstimate:
    """One scale of a version: its published parameters, the estimate, and the adoption in force."""

    key: str
    label: str
    published_reliability: float | None
    reference_sd: float | None
    estimate: reliability.Estimate
    adopted: AdoptedReliability | None


def first_responses(version: InstrumentVersion, user: Any):
    """Each visible respondent's first completed response to ``version``: one per client, one query."""
    first = (
        Response.objects.completed()
        .filter(version_id=version.pk, respondent_id=OuterRef("respondent_id"))
        .order_by("completed_at", "pk")
        .values("pk")[:1]
    )
    return Response.objects.for_user(user).completed().filter(version_id=version.pk, pk=Subquery(first))


def item_scores(doc: dict[str, Any], spec: scoring.InstrumentSpec, answers: dict[str, object]) -> dict[str, int]:
    """A response's scored items as they count towards scales (after reverse-keying).

    Items hidden by their conditions and unanswered items are left out, so they count as missing.
    A stored answer the version can no longer read (it should not happen) leaves the whole row out.
    """
    try:
        values = document.answers_to_values(doc, answers)
    except scoring.ScoringError:
        return {}
    shown = document.enabled_keys(doc, answers)
    items = {item.key: item for item in spec.items}
    return {
        key: items[key].contribution(value)
        for key, value in values.items()
        if value is not None and key in shown and key in items
    }


def reliability_estimates(*, version: InstrumentVersion, user: Any) -> list[ScaleEstimate]:
    """Per scale of ``version``: alpha with Feldt's interval and item-rest correlations from the first
    responses ``user`` may see, and the adoption in force for them. Two queries once the form is cached."""
    form = published_form(version)
    rows = [
        item_scores(form.document, form.spec, answers)
        for answers in first_responses(version, user).values_list("answers", flat=True)
    ]
    adopted = {row.scale_key: row for row in AdoptedReliability.objects.for_user(user).filter(version_id=version.pk)}
    return [
        ScaleEstimate(
            key=scale.key,
            label=scale.label,
            published_reliability=scale.reliability,
            reference_sd=scale.reference_sd,
            estimate=reliability.estimate(rows, scale.item_keys, mean=scale.method == scoring.Method.MEAN),
            adopted=adopted.get(scale.key),
        )
        for scale in form.spec.scales
    ]


@transaction.atomic
def reliability_adopt(*, version: InstrumentVersion, scale_key: str, user: Any) -> AdoptedReliability:
    """Adopt the current estimate of one scale for ``user``'s scope, recomputed here, never taken from a form."""
    scope = get_hooks().reliability_scope(user)
    found = next((s for s in reliability_estimates(version=version, user=user) if s.key == scale_key), None)
    if found is None:
        raise AdoptionRefused(_("This version has no scale %(key)r.") % {"key": scale_key})
    estimate = found.estimate
    if not scope:
        raise AdoptionRefused(_("You cannot adopt an estimate."))
    if not estimate.enough:
        raise AdoptionRefused(
            _("Not enough data yet: %(n)s complete responses, at least %(min)s are needed.")
            % {"n": estimate.n, "min": reliability.MIN_RESPONDENTS}
        )
    if not estimate.adoptable:
        raise AdoptionRefused(_("An alpha below 0 (or undefined) cannot serve as a reliability."))
    row, _created = AdoptedReliability.objects.update_or_create(
        version=version,
        scale_key=scale_key,
        scope=scope,
        defaults={
            "reliability": estimate.alpha,
            "sample_sd": estimate.sd,
            "n": estimate.n,
            "estimated_at": timezone.now(),
            "adopted_by": user if getattr(user, "pk", None) else None,
        },
    )
    return row


@transaction.atomic
def reliability_unadopt(*, version: InstrumentVersion, scale_key: str, user: Any) -> int:
    """Go back to the version's published reliability for ``user``'s scope."""
    deleted, _rows = (
        AdoptedReliability.objects.for_user(user).filter(version_id=version.pk, scale_key=scale_key).delete()
    )
    return deleted


def adoptions_for(version_id: int, user: Any) -> dict[str, AdoptedReliability]:
    """The adoptions in force for ``user`` on one version, by scale key: one query (none without a user)."""
    if user is None:
        return {}
    return {row.scale_key: row for row in AdoptedReliability.objects.for_user(user).filter(version_id=version_id)}


def with_adopted(spec: scoring.ScaleSpec, adopted: AdoptedReliability | None) -> scoring.ScaleSpec:
    """The scale with the adopted reliability; its published reference SD is kept, else the sample's SD is used."""
    if adopted is None:
        return spec
    sd = spec.reference_sd if spec.reference_sd is not None else adopted.sample_sd
    if sd is None:
        return spec
    return dataclasses.replace(spec, reliability=adopted.reliability, reference_sd=sd)
