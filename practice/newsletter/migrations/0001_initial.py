"""The newsletter gets an app of its own.

Subscribers and campaigns keep the tables they had in the practice app: here they are only added
to this app's state. ``practice.0005`` adds the campaign's batch column and moves the data.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

import practice.fields


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("mail", "0001_initial"),
        ("practice", "0004_outbound_email_attachments"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="Campaign",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("subject", models.CharField(max_length=200, verbose_name="subject")),
                        (
                            "preheader",
                            models.CharField(
                                blank=True,
                                help_text="The preview line inboxes show after the subject.",
                                max_length=200,
                                verbose_name="preheader",
                            ),
                        ),
                        ("body_markdown", models.TextField(verbose_name="body (Markdown)")),
                        (
                            "status",
                            models.CharField(
                                choices=[
                                    ("draft", "Draft"),
                                    ("scheduled", "Scheduled"),
                                    ("sending", "Sending"),
                                    ("paused", "Paused"),
                                    ("finished", "Finished"),
                                    ("cancelled", "Cancelled"),
                                ],
                                default="draft",
                                max_length=20,
                                verbose_name="status",
                            ),
                        ),
                        ("send_at", models.DateTimeField(blank=True, null=True, verbose_name="send at")),
                        ("started_at", models.DateTimeField(blank=True, null=True, verbose_name="started")),
                        ("finished_at", models.DateTimeField(blank=True, null=True, verbose_name="finished")),
                        ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="created")),
                        (
                            "batch",
                            models.OneToOneField(
                                blank=True,
                                editable=False,
                                help_text="The outbox messages of this issue, once it is sent.",
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="campaign",
                                to="mail.batch",
                            ),
                        ),
                        (
                            "created_by",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "practice",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="campaigns",
                                to="practice.practice",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "newsletter campaign",
                        "verbose_name_plural": "newsletter campaigns",
                        "db_table": "practice_campaign",
                        "ordering": ["-created_at"],
                        "constraints": [
                            models.CheckConstraint(
                                condition=models.Q(
                                    ("status__in", ["draft", "scheduled", "sending", "paused", "finished", "cancelled"])
                                ),
                                name="campaign_status_valid",
                            )
                        ],
                    },
                ),
                migrations.CreateModel(
                    name="Subscriber",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("email", practice.fields.NormalisedEmailField(max_length=254, verbose_name="email")),
                        ("name", models.CharField(blank=True, max_length=200, verbose_name="name")),
                        (
                            "status",
                            models.CharField(
                                choices=[
                                    ("pending", "Waiting for confirmation"),
                                    ("confirmed", "Confirmed"),
                                    ("unsubscribed", "Unsubscribed"),
                                    ("bounced", "Bounced"),
                                    ("complained", "Complained"),
                                ],
                                default="pending",
                                max_length=20,
                                verbose_name="status",
                            ),
                        ),
                        ("consent_text", models.TextField(blank=True, verbose_name="consent wording")),
                        ("consent_at", models.DateTimeField(blank=True, null=True, verbose_name="consent given")),
                        ("confirmed_at", models.DateTimeField(blank=True, null=True, verbose_name="confirmed")),
                        ("unsubscribed_at", models.DateTimeField(blank=True, null=True, verbose_name="unsubscribed")),
                        (
                            "source",
                            models.CharField(
                                blank=True,
                                help_text="e.g. website form, client record",
                                max_length=100,
                                verbose_name="source",
                            ),
                        ),
                        ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="created")),
                        (
                            "practice",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="subscribers",
                                to="practice.practice",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "subscriber",
                        "verbose_name_plural": "subscribers",
                        "db_table": "practice_subscriber",
                        "ordering": ["email"],
                        "constraints": [
                            models.UniqueConstraint(fields=("practice", "email"), name="subscriber_unique_email"),
                            models.CheckConstraint(
                                condition=models.Q(
                                    ("status__in", ["pending", "confirmed", "unsubscribed", "bounced", "complained"])
                                ),
                                name="subscriber_status_valid",
                            ),
                        ],
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
