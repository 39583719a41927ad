"""Moving mail delivery and the newsletter into apps of their own loses no row and no permission."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

#: The last migrations before mail delivery and the newsletter left the practice app.
BEFORE = [("mail", None), ("practice", "0004_outbound_email_attachments")]
MOVED = {"outboundemail": "mail", "suppression": "mail", "deliverystate": "mail", "subscriber": "newsletter"}


def _migrate(targets) -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return MigrationExecutor(connection)


def _fill_old_tables(apps) -> dict[str, object]:
    """A practice with two campaigns' worth of mail, as the old practice app stored it."""
    Practice = apps.get_model("practice", "Practice")
    Subscriber = apps.get_model("practice", "Subscriber")
    Campaign = apps.get_model("practice", "Campaign")
    OutboundEmail = apps.get_model("practice", "OutboundEmail")
    Suppression = apps.get_model("practice", "Suppression")
    DeliveryState = apps.get_model("practice", "DeliveryState")
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    ContentType = apps.get_model("contenttypes", "ContentType")

    practice = Practice.objects.create(
        name="Harbour Light", contact_email="tess@example.org", sender_name="Harbour", sender_email="hi@example.org"
    )
    readers = [
        Subscriber.objects.create(practice=practice, email=f"reader{i}@example.net", status="confirmed")
        for i in range(3)
    ]
    finished = Campaign.objects.create(practice=practice, subject="Spring", body_markdown="Hi", status="finished")
    paused = Campaign.objects.create(practice=practice, subject="Summer", body_markdown="Hi", status="paused")
    draft = Campaign.objects.create(practice=practice, subject="Autumn", body_markdown="Hi")
    now = timezone.now()

    def email(key: str, **fields):
        return OutboundEmail.objects.create(
            practice=practice,
            idempotency_key=key,
            kind=fields.pop("kind", "newsletter"),
            to_email=fields.pop("to", "reader0@example.net"),
            subject="Hello",
            body_text="text",
            message_id=f"<{key}@example.org>",
            due_at=now,
            **fields,
        )

    for campaign, status in ((finished, "sent"), (paused, "pending")):
        for reader in readers:
            email(f"campaign:{campaign.pk}:subscriber:{reader.pk}", campaign=campaign, subscriber=reader, status=status)
    email(f"campaign:{finished.pk}:subscriber:gone", campaign=finished, subscriber=None, status="cancelled")
    email("assignment:1:invitation", kind="invitation", personaliser="assessments.link", personalise_id=1)
    email("email-check:1", kind="email_check", to="tess@example.org", status="sent")
    Suppression.objects.create(practice=practice, email="bounced@example.net", reason="bounce")
    DeliveryState.objects.create(paused=True, reason="Mail server down")

    content_type, _ = ContentType.objects.get_or_create(app_label="practice", model="outboundemail")
    permission, _ = Permission.objects.get_or_create(
        content_type=content_type, codename="view_outboundemail", defaults={"name": "Can view outbound email"}
    )
    owners, _ = Group.objects.get_or_create(name="Migration test owners")
    owners.permissions.add(permission)
    return {"finished": finished.pk, "paused": paused.pk, "draft": draft.pk, "readers": [r.pk for r in readers]}


@pytest.mark.django_db(transaction=True)
def test_every_row_survives_the_move_to_the_mail_and_newsletter_apps():
    executor = _migrate(BEFORE)
    old = _fill_old_tables(executor.loader.project_state(BEFORE[1:]).apps)
    old_apps = executor.loader.project_state(BEFORE[1:]).apps
    before = {
        name: old_apps.get_model("practice", name)._default_manager.count()
        for name in ("OutboundEmail", "Suppression", "DeliveryState", "Subscriber", "Campaign", "Practice")
    }
    old_rows = {
        row.idempotency_key: (row.pk, row.status, row.campaign_id, row.subscriber_id)
        for row in old_apps.get_model("practice", "OutboundEmail").objects.all()
    }

    _migrate(executor.loader.graph.leaf_nodes())

    from django.contrib.auth.models import Group
    from django.contrib.contenttypes.models import ContentType

    from practice.mail.models import Batch, BatchStatus, DeliveryState, OutboundEmail, Suppression
    from practice.models import Practice
    from practice.newsletter.campaigns import PERSONALISER
    from practice.newsletter.models import Campaign, Subscriber

    after = {
        "OutboundEmail": OutboundEmail.objects.count(),
        "Suppression": Suppression.objects.count(),
        "DeliveryState": DeliveryState.objects.count(),
        "Subscriber": Subscriber.objects.count(),
        "Campaign": Campaign.objects.count(),
        "Practice": Practice.objects.count(),
    }
    assert after == before
    finished, paused, draft = (Campaign.objects.get(pk=old[name]) for name in ("finished", "paused", "draft"))
    assert (finished.batch.status, paused.batch.status, draft.batch) == (BatchStatus.FINISHED, BatchStatus.PAUSED, None)
    assert Batch.objects.count() == 2
    for key, (pk, status, campaign_id, subscriber_id) in old_rows.items():
        row = OutboundEmail.objects.get(idempotency_key=key)
        assert (row.pk, row.status) == (pk, status)
        if campaign_id is None:
            assert row.batch_id is None
            continue
        assert row.batch == Campaign.objects.get(pk=campaign_id).batch
        assert (row.personaliser, row.personalise_id) == (PERSONALISER, subscriber_id)
    invitation = OutboundEmail.objects.get(idempotency_key="assignment:1:invitation")
    assert (invitation.personaliser, invitation.personalise_id) == ("assessments.link", 1)
    assert DeliveryState.objects.get().paused
    moved = ContentType.objects.get(app_label="mail", model="outboundemail")
    assert not ContentType.objects.filter(app_label="practice", model__in=MOVED).exists()
    assert Group.objects.get(name="Migration test owners").permissions.get().content_type == moved
