"""The demo couple: Marcus and Helena (Uma's clients), two rounds of *Interdependence in Relationships*."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

#: Each partner's level per round (1 to 5, reverse-keyed statements the other way), drifting closer.
ROUNDS = ((3, 2), (4, 3))


def demo_couple(practice) -> None:
    """Link Marcus and Helena and give them two answered rounds, once, so `make run` shows the couple report."""
    from assessments import services
    from assessments.models import Assignment, AssignmentStatus, Instrument, Response
    from clients.couples.models import Couple, CoupleAssignment, CoupleAssignmentStatus
    from clients.couples.services import couple_agreement, couple_share_agreement
    from clients.models import Client

    marcus = Client.objects.filter(practice=practice, first_name="Marcus").first()
    helena = Client.objects.filter(practice=practice, first_name="Helena").first()
    instrument = Instrument.objects.filter(slug="interdependence-in-relationships").first()
    version = instrument.published_version if instrument else None
    if marcus is None or helena is None or version is None or not version.couples:
        return
    if Couple.objects.of(marcus).exists():
        return
    couple = Couple.objects.create(practice=practice, partner_a=marcus, partner_b=helena, created_by=marcus.therapist)
    for partner in couple.partners:
        couple_share_agreement(couple=couple, partner=partner, agreed=True)
    document = services.published_form(version).document
    reverse = {item["key"] for item in document["items"] if item["reverse_keyed"]}
    questions = [item["key"] for item in document["items"] if item["type"] == "single_choice"]
    now = timezone.now()
    for number, levels in enumerate(ROUNDS):
        completed = now - timedelta(weeks=6 * (len(ROUNDS) - number))
        rows = []
        for index, (partner, level) in enumerate(zip(couple.partners, levels, strict=True)):
            answers = {}
            for position, key in enumerate(questions):
                value = level + (1 if (position + index) % 4 == 0 else 0) - (1 if (position + number) % 5 == 0 else 0)
                value = min(max(value, 1), 5)
                answers[key] = str(6 - value if key in reverse else value)
            scores = services.version_score(version, answers)
            response = Response.objects.create(
                version=version,
                respondent=partner,
                answers=answers,
                scores=scores,
                flagged=bool(scores["risk_flags"]),
                started_at=completed - timedelta(minutes=7),
                completed_at=completed,
            )
            rows.append(
                Assignment.objects.create(
                    version=version,
                    respondent=partner,
                    status=AssignmentStatus.COMPLETED,
                    send_at=completed - timedelta(days=2),
                    sent_at=completed - timedelta(days=2),
                    expires_at=completed + timedelta(days=12),
                    completed_at=completed,
                    assigned_by=partner.therapist,
                    response=response,
                )
            )
        pair = CoupleAssignment.objects.create(
            couple=couple,
            version=version,
            assignment_a=rows[0],
            assignment_b=rows[1],
            status=CoupleAssignmentStatus.COMPLETED,
            completed_at=completed,
            created_by=marcus.therapist,
        )
        pair.agreement = couple_agreement(pair).summary()
        pair.save(update_fields=["agreement"])
