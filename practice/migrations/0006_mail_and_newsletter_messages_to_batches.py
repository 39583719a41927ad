"""Each campaign's messages get a batch and the newsletter's personaliser (see 0005)."""

from django.db import migrations

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


class Migration(migrations.Migration):
    dependencies = [
        ("practice", "0005_mail_and_newsletter_apps"),
    ]

    operations = [
        migrations.RunPython(messages_to_batches, batches_to_messages),
    ]
