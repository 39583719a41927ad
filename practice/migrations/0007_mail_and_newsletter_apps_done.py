"""Mail delivery and the newsletter leave the practice app: the old columns, content types and state go.

See ``0005_mail_and_newsletter_apps``.
"""

from django.db import migrations, models

MAIL_MODELS = ("outboundemail", "suppression", "deliverystate")
NEWSLETTER_MODELS = ("subscriber", "campaign")


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
        ("practice", "0006_mail_and_newsletter_messages_to_batches"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="outboundemail",
            index=models.Index(fields=["batch", "status"], name="outbox_batch_idx"),
        ),
        migrations.AddIndex(
            model_name="outboundemail",
            index=models.Index(fields=["personaliser", "personalise_id"], name="outbox_personalised_idx"),
        ),
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
