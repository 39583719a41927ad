"""Give the staff roles their permissions on clients."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GRANTS = {
    "Practice owners": ["view_client", "add_client", "change_client", "delete_client", "view_consentrecord"],
    "Therapists": ["view_client", "add_client", "change_client", "view_consentrecord"],
}


def grant(apps, schema_editor):
    app_config = apps.get_app_config("clients")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in GRANTS.items():
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.add(*Permission.objects.filter(content_type__app_label="clients", codename__in=codenames))


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for group in Group.objects.filter(name__in=GRANTS):
        group.permissions.remove(*Permission.objects.filter(content_type__app_label="clients"))


class Migration(migrations.Migration):
    dependencies = [
        ("clients", "0001_initial"),
        ("practice", "0002_role_groups"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
