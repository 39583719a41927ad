"""Create the two staff roles as groups with the practice app's permissions."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

OWNERS = "Practice owners"
THERAPISTS = "Therapists"

GRANTS = {
    OWNERS: ["view_practice", "change_practice", "view_membership", "change_membership"],
    THERAPISTS: ["view_practice"],
}


def grant(apps, schema_editor):
    app_config = apps.get_app_config("practice")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in GRANTS.items():
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.add(*Permission.objects.filter(content_type__app_label="practice", codename__in=codenames))


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Group.objects.filter(name__in=GRANTS).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("practice", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
