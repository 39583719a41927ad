"""Use cases of the practice app."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser


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
