"""Mail delivery and the newsletter move out of the practice app, keeping every table and row.

``mail.0001`` and ``newsletter.0001`` declared the models on their old tables. This migration,
on the practice app's own (old) state of those tables, so that SQLite rebuilds them whole:

1. adds the batch columns (outbox row → batch, campaign → batch) and the outbox's new indexes;
2. gives each campaign that has messages a batch, and ties its messages to it and to the
   newsletter's personaliser (which asks at send time whether the subscriber still wants it);
3. drops the outbox's campaign and subscriber columns, which the mail app must not know;
4. renames the content types, so permissions, role groups and the admin's history follow;
5. forgets its old models.

It depends on the new apps' first migrations because it hands their data over: the standard
way to move models between apps, and the one place the practice app names them.
"""

import django.db.models.deletion
from django.db import migrations, models

MAIL_MODELS = ("outboundemail", "suppression", "deliverystate")
NEWSLETTER_MODELS = ("subscriber", "campaign")
NEWSLETTER_PERSONALISER = "newsletter.subscriber"
#: A campaign's status as its batch's: draft or scheduled campaigns with messages are sending.
BATCH_STATUS = {"paused": "paused", "cancelled": "cancelled", "finished": "finished"}


def messages_to_batches(apps, schema_editor):
    Campaign = apps.get_model("practice", "Campaign")
    OutboundEmail = apps.get_model("practice", "OutboundEmail")
    Batch = apps.get_model("mail", "Batch")
    with_messages = OutboundEmail.objects.filter(campaign__isnull=False).order_by().values("campaign_id").distinct()
    for campaign in Campaign.objects.filter(pk__in=with_messages):
        batch = Batch.objects.create(
            practice_id=campaign.practice_id,
            label=campaign.subject[:300],
            status=BATCH_STATUS.get(campaign.status, "sending"),
            finished_at=campaign.finished_at,
        )
        Campaign.objects.filter(pk=campaign.pk).update(batch=batch)
        OutboundEmail.objects.filter(campaign_id=campaign.pk).update(batch=batch)
    newsletter_rows = OutboundEmail.objects.filter(campaign__isnull=False)
    for subscriber_id in newsletter_rows.order_by().values_list("subscriber_id", flat=True).distinct():
        newsletter_rows.filter(subscriber_id=subscriber_id).update(
            personaliser=NEWSLETTER_PERSONALISER, personalise_id=subscriber_id
        )


def batches_to_messages(apps, schema_editor):
    Campaign = apps.get_model("practice", "Campaign")
    OutboundEmail = apps.get_model("practice", "OutboundEmail")
    for campaign in Campaign.objects.filter(batch__isnull=False):
        OutboundEmail.objects.filter(batch_id=campaign.batch_id).update(campaign=campaign)
    newsletter_rows = OutboundEmail.objects.filter(personaliser=NEWSLETTER_PERSONALISER)
    for subscriber_id in newsletter_rows.order_by().values_list("personalise_id", flat=True).distinct():
        newsletter_rows.filter(personalise_id=subscriber_id).update(
            subscriber_id=subscriber_id, personaliser="", personalise_id=None
        )


def _relabel(apps, moves):
    ContentType = apps.get_model("contenttypes", "ContentType")
    for (old_label, new_label), models_ in moves.items():
        for model in models_:
            if not ContentType.objects.filter(app_label=new_label, model=model).exists():
                ContentType.objects.filter(app_label=old_label, model=model).update(app_label=new_label)


def content_types_forward(apps, schema_editor):
    _relabel(apps, {("practice", "mail"): MAIL_MODELS, ("practice", "newsletter"): NEWSLETTER_MODELS})


def content_types_back(apps, schema_editor):
    _relabel(apps, {("mail", "practice"): MAIL_MODELS, ("newsletter", "practice"): NEWSLETTER_MODELS})


class Migration(migrations.Migration):
    dependencies = [
        ("practice", "0004_outbound_email_attachments"),
        ("mail", "0001_initial"),
        ("newsletter", "0001_initial"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.AddField(
            model_name="outboundemail",
            name="batch",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="messages",
                to="mail.batch",
                verbose_name="batch",
            ),
        ),
        migrations.AddField(
            model_name="campaign",
            name="batch",
            field=models.OneToOneField(
                blank=True,
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="campaign",
                to="mail.batch",
            ),
        ),
        migrations.AddIndex(
            model_name="outboundemail",
            index=models.Index(fields=["batch", "status"], name="outbox_batch_idx"),
        ),
        migrations.AddIndex(
            model_name="outboundemail",
            index=models.Index(fields=["personaliser", "personalise_id"], name="outbox_personalised_idx"),
        ),
        migrations.RunPython(messages_to_batches, batches_to_messages),
        migrations.RemoveIndex(model_name="outboundemail", name="outbox_campaign_idx"),
        migrations.RemoveField(model_name="outboundemail", name="campaign"),
        migrations.RemoveField(model_name="outboundemail", name="subscriber"),
        migrations.RunPython(content_types_forward, content_types_back),
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="OutboundEmail"),
                migrations.DeleteModel(name="Suppression"),
                migrations.DeleteModel(name="DeliveryState"),
                migrations.DeleteModel(name="Campaign"),
                migrations.DeleteModel(name="Subscriber"),
            ],
            database_operations=[],
        ),
    ]
