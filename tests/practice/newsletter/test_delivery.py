"""Newsletters through the outbox against a real SMTP server: the newsletter's hooks at send time."""

from __future__ import annotations

from practice.mail import outbox
from practice.mail.batches import batch_create
from practice.mail.models import EmailStatus, OutboundEmail, Suppression
from practice.newsletter.campaigns import PERSONALISER
from tests.practice.mail.test_outbox import put


def newsletter_rows(practice, n: int):
    from practice.newsletter.models import Campaign, CampaignStatus, Subscriber

    batch = batch_create(practice=practice, label="News")
    campaign = Campaign.objects.create(
        practice=practice, subject="News", body_markdown="Hi", status=CampaignStatus.SENDING, batch=batch
    )
    rows = []
    for i in range(n):
        subscriber = Subscriber.objects.create(practice=practice, email=f"reader{i}@example.net", status="confirmed")
        rows += put(
            practice, 1, prefix=f"reader{i}-", batch=batch, personaliser=PERSONALISER, personalise_id=subscriber.pk
        )
    return campaign, rows


def test_a_subscriber_deleted_mid_campaign_gets_nothing(harbour, smtp):
    from practice.newsletter.models import Subscriber

    _campaign, rows = newsletter_rows(harbour, 2)
    Subscriber.objects.filter(email="reader0@example.net").delete()
    outbox.drain()
    assert smtp.received_by() == {"reader1-0@example.net": 1}
    assert OutboundEmail.objects.get(pk=rows[0].pk).status == EmailStatus.CANCELLED


def test_a_finished_campaign_reopens_when_its_failures_are_retried(harbour, smtp, django_capture_on_commit_callbacks):
    from practice.newsletter.models import CampaignStatus, Subscriber

    smtp.refuse["reader0-0@example.net"] = "550 5.1.1 No such user"
    campaign, _rows = newsletter_rows(harbour, 2)
    outbox.drain()
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.FINISHED
    smtp.refuse.clear()  # the mailbox exists again, and staff lift the suppression
    Suppression.objects.all().delete()
    Subscriber.objects.filter(status="bounced").update(status="confirmed")
    with django_capture_on_commit_callbacks(execute=True):
        assert outbox.retry(OutboundEmail.objects.filter(batch=campaign.batch)) == 1
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.FINISHED  # reopened, sent, finished again
    assert smtp.received_by() == {"reader0-0@example.net": 1, "reader1-0@example.net": 1}


def test_pause_after_k_then_resume_with_an_unsubscribe_in_between_through_real_smtp(
    harbour, smtp, settings, monkeypatch, django_capture_on_commit_callbacks
):
    from practice.newsletter.campaigns import campaign_counts, campaign_pause, campaign_resume, campaign_start
    from practice.newsletter.models import Campaign, CampaignStatus, Subscriber

    settings.PRACTICE_OUTBOX_BATCH_SIZE = 3
    for i in range(7):
        Subscriber.objects.create(practice=harbour, email=f"reader{i}@example.net", status="confirmed")
    campaign = Campaign.objects.create(practice=harbour, subject="News", body_markdown="Hello **you**")
    campaign_start(campaign=campaign)
    real_claim, claims = outbox.claim, []

    def claim(*args, **kwargs):
        claims.append(1)
        if len(claims) == 2:  # after k=3 messages, the therapist presses Pause
            campaign_pause(campaign=Campaign.objects.get(pk=campaign.pk))
        return real_claim(*args, **kwargs)

    monkeypatch.setattr(outbox, "claim", claim)
    outbox.drain()
    assert len(smtp.messages) == 3
    sent_first = set(smtp.received_by())
    leaver = Subscriber.objects.exclude(email__in=sent_first).order_by("pk").first()
    leaver.status = "unsubscribed"  # unsubscribes between scheduling and sending
    leaver.save()
    with django_capture_on_commit_callbacks(execute=True):
        campaign_resume(campaign=campaign)
    received = smtp.received_by()
    assert leaver.email not in received
    assert sorted(received.values()) == [1] * 6
    campaign.refresh_from_db()
    counts = campaign_counts(campaign)
    assert campaign.status == CampaignStatus.FINISHED
    assert (counts["recipients"], counts["sent"], counts["cancelled"]) == (7, 6, 1)
    assert counts["recipients"] == counts["sent"] + counts["failed"] + counts["suppressed"] + counts["cancelled"]
