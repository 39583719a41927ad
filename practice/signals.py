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
    """Connected in PracticeConfig.ready for post_migrate; acts once, on the last app's signal.

    Our receiver may run before auth's for that app, so the permissions are made first
    (idempotent) and the groups topped up after.
    """
    from django.apps import apps
    from django.contrib.auth.management import create_permissions

    from practice.roles import role_groups_ensure

    app_configs = list(apps.get_app_configs())
    # post_migrate is sent only for apps with models: wait for the last of those.
    if sender is not [config for config in app_configs if config.models_module is not None][-1]:
        return
    for app_config in app_configs:
        create_permissions(app_config, verbosity=0, using=using)
    role_groups_ensure(using=using)
