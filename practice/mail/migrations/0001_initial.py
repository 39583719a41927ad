"""Mail delivery gets an app of its own.

The outbox, suppression list and delivery state keep the tables they had in the practice app:
here they are only added to this app's state. Batches are new. ``practice.0005`` then moves
the data across and removes the old state.
"""

import django.db.models.deletion
from django.db import migrations, models

import practice.fields


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("practice", "0004_outbound_email_attachments"),
    ]

    operations = [
        migrations.CreateModel(
            name="Batch",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("label", models.CharField(blank=True, max_length=300, verbose_name="label")),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("sending", "Sending"),
                            ("paused", "Paused"),
                            ("cancelled", "Cancelled"),
                            ("finished", "Finished"),
                        ],
                        default="sending",
                        max_length=20,
                        verbose_name="status",
                    ),
                ),
                ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="created")),
                ("finished_at", models.DateTimeField(blank=True, null=True, verbose_name="finished")),
                (
                    "practice",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="mail_batches", to="practice.practice"
                    ),
                ),
            ],
            options={
                "verbose_name": "batch",
                "verbose_name_plural": "batches",
                "ordering": ["-created_at", "-pk"],
            },
        ),
        migrations.AddConstraint(
            model_name="batch",
            constraint=models.CheckConstraint(
                condition=models.Q(("status__in", ["sending", "paused", "cancelled", "finished"])),
                name="mail_batch_status_valid",
            ),
        ),
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="DeliveryState",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("singleton", models.BooleanField(default=True, editable=False, unique=True)),
                        ("paused", models.BooleanField(default=False, verbose_name="paused")),
                        ("reason", models.TextField(blank=True, verbose_name="reason")),
                        ("paused_at", models.DateTimeField(blank=True, null=True, verbose_name="paused at")),
                        (
                            "consecutive_failures",
                            models.PositiveIntegerField(default=0, verbose_name="consecutive connection failures"),
                        ),
                    ],
                    options={
                        "verbose_name": "delivery state",
                        "verbose_name_plural": "delivery state",
                        "db_table": "practice_deliverystate",
                    },
                ),
                migrations.CreateModel(
                    name="OutboundEmail",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        (
                            "idempotency_key",
                            models.CharField(max_length=200, unique=True, verbose_name="idempotency key"),
                        ),
                        (
                            "kind",
                            models.CharField(
                                choices=[
                                    ("email_check", "Test email"),
                                    ("invitation", "Questionnaire invitation"),
                                    ("reminder", "Questionnaire reminder"),
                                    ("appointment", "Appointment email"),
                                    ("newsletter", "Newsletter"),
                                    ("confirmation", "Subscription confirmation"),
                                    ("notification", "Notification to staff"),
                                ],
                                max_length=20,
                                verbose_name="kind",
                            ),
                        ),
                        ("to_email", models.EmailField(max_length=254, verbose_name="recipient")),
                        ("subject", models.CharField(max_length=300, verbose_name="subject")),
                        ("body_text", models.TextField(verbose_name="text")),
                        ("body_html", models.TextField(blank=True, verbose_name="HTML")),
                        ("headers", models.JSONField(blank=True, default=dict, verbose_name="headers")),
                        ("message_id", models.CharField(max_length=250, unique=True, verbose_name="Message-ID")),
                        (
                            "status",
                            models.CharField(
                                choices=[
                                    ("pending", "Pending"),
                                    ("sending", "Sending"),
                                    ("sent", "Sent"),
                                    ("deferred", "Temporary failure, will retry"),
                                    ("failed", "Permanent failure"),
                                    ("suppressed", "Suppressed"),
                                    ("cancelled", "Cancelled"),
                                ],
                                default="pending",
                                max_length=20,
                                verbose_name="status",
                            ),
                        ),
                        (
                            "resend_if_lost",
                            models.BooleanField(
                                default=False,
                                help_text="If a worker dies while sending this, send it again (invitations). Otherwise mark it failed, so nobody gets a newsletter or reminder twice.",
                                verbose_name="resend if lost",
                            ),
                        ),
                        ("attempts", models.PositiveIntegerField(default=0, verbose_name="attempts")),
                        ("last_error", models.TextField(blank=True, verbose_name="last error")),
                        (
                            "due_at",
                            models.DateTimeField(
                                help_text="Not sent before this time; retries move it later.", verbose_name="due"
                            ),
                        ),
                        ("lease_expires_at", models.DateTimeField(blank=True, null=True, verbose_name="lease expires")),
                        (
                            "lease_token",
                            models.CharField(blank=True, editable=False, max_length=32, verbose_name="lease token"),
                        ),
                        (
                            "transmitting_since",
                            models.DateTimeField(
                                blank=True,
                                editable=False,
                                help_text="Set just before this attempt talks to the mail server; a lost row without it was never sent.",
                                null=True,
                                verbose_name="handed to the mail server",
                            ),
                        ),
                        ("sent_at", models.DateTimeField(blank=True, null=True, verbose_name="sent")),
                        ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="created")),
                        (
                            "personaliser",
                            models.CharField(
                                blank=True,
                                editable=False,
                                help_text="Asked at send time whether the message is still wanted, and for its private link.",
                                max_length=100,
                                verbose_name="personalised by",
                            ),
                        ),
                        ("personalise_id", models.BigIntegerField(blank=True, editable=False, null=True)),
                        (
                            "attachments",
                            models.JSONField(
                                blank=True,
                                default=list,
                                editable=False,
                                help_text="Text files sent with the message, e.g. a calendar invitation: filename, MIME type, content.",
                                verbose_name="attachments",
                            ),
                        ),
                        (
                            "batch",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="messages",
                                to="mail.batch",
                                verbose_name="batch",
                            ),
                        ),
                        (
                            "practice",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="outbound_emails",
                                to="practice.practice",
                                verbose_name="practice",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "outbound email",
                        "verbose_name_plural": "outbox",
                        "db_table": "practice_outboundemail",
                        "ordering": ["-created_at", "-pk"],
                    },
                ),
                migrations.CreateModel(
                    name="Suppression",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("email", practice.fields.NormalisedEmailField(max_length=254, verbose_name="email")),
                        (
                            "reason",
                            models.CharField(
                                choices=[
                                    ("bounce", "Hard bounce"),
                                    ("complaint", "Complaint"),
                                    ("unsubscribe", "Unsubscribed"),
                                    ("manual", "Added by staff"),
                                ],
                                max_length=20,
                                verbose_name="reason",
                            ),
                        ),
                        ("detail", models.TextField(blank=True, verbose_name="detail")),
                        ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="created")),
                        (
                            "practice",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="suppressions",
                                to="practice.practice",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "suppressed address",
                        "verbose_name_plural": "suppression list",
                        "db_table": "practice_suppression",
                        "ordering": ["-created_at"],
                    },
                ),
                migrations.AddIndex(
                    model_name="outboundemail",
                    index=models.Index(fields=["status", "due_at"], name="outbox_claim_idx"),
                ),
                migrations.AddIndex(
                    model_name="outboundemail",
                    index=models.Index(fields=["batch", "status"], name="outbox_batch_idx"),
                ),
                migrations.AddIndex(
                    model_name="outboundemail",
                    index=models.Index(fields=["personaliser", "personalise_id"], name="outbox_personalised_idx"),
                ),
                migrations.AddConstraint(
                    model_name="outboundemail",
                    constraint=models.CheckConstraint(
                        condition=models.Q(
                            (
                                "status__in",
                                ["pending", "sending", "sent", "deferred", "failed", "suppressed", "cancelled"],
                            )
                        ),
                        name="outbox_status_valid",
                    ),
                ),
                migrations.AddConstraint(
                    model_name="outboundemail",
                    constraint=models.CheckConstraint(
                        condition=models.Q(
                            models.Q(("status", "sending"), _negated=True),
                            ("lease_expires_at__isnull", False),
                            _connector="OR",
                        ),
                        name="outbox_sending_has_lease",
                    ),
                ),
                migrations.AddConstraint(
                    model_name="suppression",
                    constraint=models.UniqueConstraint(fields=("practice", "email"), name="suppression_unique_email"),
                ),
            ],
            database_operations=[],
        ),
    ]
