"""What every staff API of the practice's data needs from the practice: the caller's practice."""

from __future__ import annotations

from rest_framework import exceptions

from practice.models import Membership, Practice

#: How changes made through the API are recorded (consent log, subscriber source).
API_SOURCE = "API"


def practice_for(user) -> Practice:
    """The practice a new row made by ``user`` belongs to: their own (the first, should they have several)."""
    membership = Membership.objects.filter(user_id=user.pk).select_related("practice").order_by("pk").first()
    if membership is None:
        raise exceptions.ValidationError({"detail": ["You are not a member of a practice."]})
    return membership.practice
