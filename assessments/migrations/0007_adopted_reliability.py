"""Adopted reliabilities: a practice's own estimate of a scale's reliability, kept beside the frozen version."""

import django.core.validators
import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("assessments", "0006_instrument_owner"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="AdoptedReliability",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("scale_key", models.CharField(max_length=100, verbose_name="scale")),
                (
                    "scope",
                    models.CharField(
                        help_text="Whose responses; from the host's hooks.", max_length=100, verbose_name="scope"
                    ),
                ),
                (
                    "reliability",
                    models.FloatField(
                        validators=[
                            django.core.validators.MinValueValidator(0),
                            django.core.validators.MaxValueValidator(0.999999),
                        ],
                        verbose_name="reliability",
                    ),
                ),
                ("sample_sd", models.FloatField(blank=True, null=True, verbose_name="SD of the scores")),
                ("n", models.PositiveIntegerField(verbose_name="responses")),
                ("estimated_at", models.DateTimeField(default=django.utils.timezone.now, verbose_name="estimated")),
                (
                    "adopted_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "version",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="adopted_reliabilities",
                        to="assessments.instrumentversion",
                        verbose_name="version",
                    ),
                ),
            ],
            options={
                "verbose_name": "adopted reliability",
                "verbose_name_plural": "adopted reliabilities",
                "ordering": ["version", "scale_key"],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("version", "scale_key", "scope"), name="adopted_reliability_unique"
                    ),
                    models.CheckConstraint(
                        condition=models.Q(("reliability__gte", 0), ("reliability__lt", 1)),
                        name="adopted_reliability_in_range",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(("scope", ""), _negated=True), name="adopted_reliability_has_scope"
                    ),
                ],
            },
        ),
    ]
