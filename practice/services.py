"""Use cases of the practice app."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction

from practice import emails
from practice.models import Practice

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser


def email_check_queue(*, practice: Practice, user: AbstractBaseUser) -> None:
    """Queue a test email to ``user`` from ``practice`` (ids only), once the transaction commits."""
    from practice.tasks import send_email_check

    send_email_check.delay_on_commit(practice.pk, user.pk)


def email_check_send(*, practice: Practice, user: AbstractBaseUser) -> None:
    """Send the practice's test email now; proves the mail settings and the worker both work."""
    emails.email_check(practice=practice, user=user).send()


@transaction.atomic
def membership_sync_access(*, user: AbstractBaseUser) -> None:
    """Give ``user`` exactly the role groups of their memberships; any membership makes them staff."""
    from django.contrib.auth.models import Group

    from practice.models import ROLE_GROUPS, Membership

    roles = set(Membership.objects.filter(user=user).values_list("role", flat=True))
    wanted = Group.objects.filter(name__in=[ROLE_GROUPS[role] for role in roles])
    user.groups.remove(*Group.objects.filter(name__in=ROLE_GROUPS.values()).exclude(pk__in=wanted))
    user.groups.add(*wanted)
    if roles and not user.is_staff:
        user.is_staff = True
        user.save(update_fields=["is_staff"])
