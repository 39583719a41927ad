"""Scales keep a published reliable-change threshold (and its source) in their rows, not only in the definition."""

import django.core.validators
from django.db import migrations, models


def backfill(apps, schema_editor):
    """Rows of published versions take the threshold their frozen definition states (the library's PHQ-9 and GAD-7)."""
    Scale = apps.get_model("assessments", "Scale")
    for scale in Scale.objects.filter(version__definition__isnull=False).select_related("version"):
        for stated in scale.version.definition.get("scales", []):
            criterion = stated.get("reliable_change")
            if stated.get("key") == scale.key and criterion:
                scale.reliable_change_threshold = criterion["threshold"]
                scale.reliable_change_source = criterion.get("source", "")
                scale.save(update_fields=["reliable_change_threshold", "reliable_change_source"])


class Migration(migrations.Migration):
    dependencies = [
        ("assessments", "0007_measure_library"),
    ]

    operations = [
        migrations.AddField(
            model_name="scale",
            name="reliable_change_source",
            field=models.TextField(blank=True, default="", verbose_name="source of the reliable-change threshold"),
        ),
        migrations.AddField(
            model_name="scale",
            name="reliable_change_threshold",
            field=models.FloatField(
                blank=True,
                help_text="A published reliable-change threshold in score points, instead of a reference SD and reliability.",
                null=True,
                validators=[django.core.validators.MinValueValidator(1e-06)],
                verbose_name="reliable change (points)",
            ),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
