"""Sending the practice's newsletter: the owner is told how many people will receive it and says yes first."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from practice.newsletter.models import Campaign, CampaignStatus, SubscriberStatus
from tests.practice.newsletter.test_campaigns import action_url, change_url, subscribe

pytestmark = pytest.mark.django_db


@pytest.fixture
def campaign(harbour, tess) -> Campaign:
    subscribe(harbour, 3)
    subscribe(harbour, 2, prefix="waiting", status=SubscriberStatus.PENDING)
    return Campaign.objects.create(practice=harbour, subject="Spring news", body_markdown="Hello", created_by=tess)


def test_send_now_asks_first_and_says_how_many_will_receive_it(client, tess, campaign):
    client.force_login(tess)
    response = client.post(action_url(campaign, "send"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Send the newsletter now?" in html
    assert "“Spring news” will be sent now to 3 subscribers." in html  # only the confirmed ones
    assert 'name="confirmed" value="1"' in html and change_url(campaign) in html
    assert Campaign.objects.get(pk=campaign.pk).status == CampaignStatus.DRAFT and mail.outbox == []
    assert client.get(action_url(campaign, "send")).status_code == 200, "the confirmation can be opened as a page"


def test_schedule_asks_first_with_the_time_and_the_count(client, tess, campaign):
    when = timezone.now() + timedelta(days=3)
    Campaign.objects.filter(pk=campaign.pk).update(send_at=when)
    client.force_login(tess)
    html = client.get(action_url(campaign, "schedule")).content.decode()
    assert "Schedule the newsletter?" in html and "3 subscribers today" in html
    assert Campaign.objects.get(pk=campaign.pk).status == CampaignStatus.DRAFT
    client.post(action_url(campaign, "schedule"), {"confirmed": "1"})
    assert Campaign.objects.get(pk=campaign.pk).status == CampaignStatus.SCHEDULED


def test_one_subscriber_is_one_subscriber(client, tess, harbour, tess_campaign_for_one):
    client.force_login(tess)
    html = client.post(action_url(tess_campaign_for_one, "send")).content.decode()
    assert "will be sent now to 1 subscriber." in html


@pytest.fixture
def tess_campaign_for_one(harbour, tess) -> Campaign:
    subscribe(harbour, 1, prefix="only")
    return Campaign.objects.create(practice=harbour, subject="Hello", body_markdown="Hello", created_by=tess)


@pytest.mark.parametrize("action", ["send", "schedule", "pause", "resume", "cancel", "retry"])
def test_a_therapist_may_not_send_schedule_pause_or_cancel_the_newsletter(client, uma, campaign, action):
    status = {"pause": CampaignStatus.SENDING, "resume": CampaignStatus.PAUSED, "cancel": CampaignStatus.SCHEDULED}
    Campaign.objects.filter(pk=campaign.pk).update(
        status=status.get(action, CampaignStatus.DRAFT), send_at=timezone.now() + timedelta(days=1)
    )
    client.force_login(uma)
    assert client.post(action_url(campaign, action), {"confirmed": "1"}).status_code == 403
    assert client.get(action_url(campaign, action)).status_code in (403, 405)
    assert Campaign.objects.get(pk=campaign.pk).status == status.get(action, CampaignStatus.DRAFT)
    assert mail.outbox == []


def test_a_therapist_sees_no_sending_buttons_but_may_still_test(client, uma, campaign):
    client.force_login(uma)
    html = client.get(change_url(campaign)).content.decode()
    assert 'form="campaign-action-test"' in html
    assert 'form="campaign-action-send"' not in html and 'name="_schedule"' not in html
    assert "Only the practice’s owners can send" in html  # noqa: RUF001 - the typographic apostrophe shown
    response = client.post(
        change_url(campaign),
        {
            "practice": campaign.practice_id,
            "subject": "Edited",
            "preheader": "",
            "body_markdown": "Hi",
            "send_at_0": "2030-01-01",
            "send_at_1": "09:00:00",
            "_schedule": "1",
        },
    )
    assert response.status_code == 403
    assert Campaign.objects.get(pk=campaign.pk).status == CampaignStatus.DRAFT
