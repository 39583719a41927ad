"""The read vocabulary of the practice app, including the one scoping rule.

Scoping fails closed: anonymous and inactive users see nothing, a therapist sees the rows
assigned to them in their practices, an owner sees their whole practice, a superuser
sees everything. Every admin page, API view and export reaches rows through ``for_user``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import models
from django.db.models import Q

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser


def _is_signed_in(user: AbstractBaseUser | AnonymousUser | None) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active)


def practice_ids_for(user: AbstractBaseUser | AnonymousUser | None, *, owner_only: bool = False) -> models.QuerySet:
    """The ids of the practices ``user`` belongs to (as owner, when ``owner_only``), as a subquery."""
    from practice.models import Membership, Role

    memberships = Membership.objects.filter(user_id=getattr(user, "pk", None))
    if owner_only:
        memberships = memberships.filter(role=Role.OWNER)
    return memberships.values("practice_id")


def is_owner(user: AbstractBaseUser | AnonymousUser | None, *, practice_id: int | None = None) -> bool:
    """Superusers, and owners: of ``practice_id`` when it is given, else of any practice."""
    if not _is_signed_in(user):
        return False
    if user.is_superuser:
        return True
    owned = practice_ids_for(user, owner_only=True)
    if practice_id is not None:
        owned = owned.filter(practice_id=practice_id)
    return owned.exists()


class PracticeQuerySet(models.QuerySet):
    def for_user(self, user: AbstractBaseUser | AnonymousUser | None) -> PracticeQuerySet:
        if not _is_signed_in(user):
            return self.none()
        if user.is_superuser:
            return self.all()
        return self.filter(pk__in=practice_ids_for(user))


class MembershipQuerySet(models.QuerySet):
    def for_user(self, user: AbstractBaseUser | AnonymousUser | None) -> MembershipQuerySet:
        """Owners see their practice's staff; therapists see their own memberships."""
        if not _is_signed_in(user):
            return self.none()
        if user.is_superuser:
            return self.all()
        return self.filter(Q(practice_id__in=practice_ids_for(user, owner_only=True)) | Q(user_id=user.pk))


class PracticeScopedQuerySet(models.QuerySet):
    """Base for rows that belong to a practice and to one therapist in it.

    Subclasses name the paths to the practice and the therapist (``practice_path``,
    ``therapist_path``), so related rows (an appointment via its client) scope the same way.
    """

    practice_path: str = "practice"
    therapist_path: str = "therapist"

    def for_user(self, user: AbstractBaseUser | AnonymousUser | None) -> models.QuerySet:
        if not _is_signed_in(user):
            return self.none()
        if user.is_superuser:
            return self.all()
        owned = Q(**{f"{self.practice_path}__in": practice_ids_for(user, owner_only=True)})
        own = Q(**{self.therapist_path: user.pk, f"{self.practice_path}__in": practice_ids_for(user)})
        return self.filter(owned | own)


def staff_for_user(user: AbstractBaseUser | AnonymousUser | None) -> models.QuerySet:
    """Users a staff member may pick as a therapist: themselves, or their practices' staff if owner."""
    from django.contrib.auth import get_user_model

    users = get_user_model()._default_manager
    if not _is_signed_in(user):
        return users.none()
    if user.is_superuser:
        return users.filter(practice_memberships__isnull=False).distinct()
    owned_practices = practice_ids_for(user, owner_only=True)
    return users.filter(
        Q(pk=user.pk, practice_memberships__isnull=False) | Q(practice_memberships__practice_id__in=owned_practices)
    ).distinct()


class PracticeWideQuerySet(models.QuerySet):
    """Rows that belong to a practice as a whole (newsletter, outbox): every member sees them.

    What a member may do with them is decided by their role's permissions.
    """

    #: True for rows only the practice's owners see.
    owners_only = False

    def for_user(self, user: AbstractBaseUser | AnonymousUser | None) -> models.QuerySet:
        if not _is_signed_in(user):
            return self.none()
        if user.is_superuser:
            return self.all()
        return self.filter(practice_id__in=practice_ids_for(user, owner_only=self.owners_only))


class PracticeOwnersQuerySet(PracticeWideQuerySet):
    """Rows only a practice's owners see (erasure records): therapists see none of them."""

    owners_only = True
