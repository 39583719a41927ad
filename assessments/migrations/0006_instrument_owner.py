"""Instruments get an owner (``ASSESSMENTS_OWNER_MODEL``); every existing instrument stays in the library."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("assessments", "0005_review_and_access_log"),
        migrations.swappable_dependency(getattr(settings, "ASSESSMENTS_OWNER_MODEL", settings.AUTH_USER_MODEL)),
    ]

    operations = [
        migrations.AddField(
            model_name="instrument",
            name="owner",
            field=models.ForeignKey(
                blank=True,
                help_text="Empty: in the library, shared by everyone and changed only by superusers.",
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="assessment_instruments",
                to=getattr(settings, "ASSESSMENTS_OWNER_MODEL", settings.AUTH_USER_MODEL),
                verbose_name="owner",
            ),
        ),
    ]
