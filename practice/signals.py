"""Keep a user's role groups and staff flag in step with their memberships."""

from __future__ import annotations

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from practice.models import Membership
from practice.services import membership_sync_access


@receiver(post_save, sender=Membership, dispatch_uid="practice.membership_saved")
@receiver(post_delete, sender=Membership, dispatch_uid="practice.membership_deleted")
def membership_changed(sender, instance: Membership, **kwargs) -> None:
    membership_sync_access(user=instance.user)


def roles_after_migrate(sender, using: str = "default", **kwargs) -> None:
    """Connected in PracticeConfig.ready for post_migrate.

    Our receiver may run before auth's for the same app, so the permissions are made first
    (idempotent) and the groups topped up after.
    """
    from django.apps import apps
    from django.contrib.auth.management import create_permissions

    from practice.roles import role_groups_ensure

    for app_config in apps.get_app_configs():
        create_permissions(app_config, verbosity=0, using=using)
    role_groups_ensure(using=using)
