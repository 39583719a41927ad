"""A client's email choices: newsletter consent makes them a subscriber; the preferences page stops channels."""

from __future__ import annotations

from django.urls import reverse

from clients.models import Channel, ConsentRecord
from clients.services import consent_set
from practice.newsletter.models import Subscriber, SubscriberStatus
from practice.newsletter.tokens import unsubscribe_token


def test_newsletter_consent_makes_a_confirmed_subscriber_and_withdrawal_unsubscribes(cara):
    consent_set(client=cara, channel=Channel.NEWSLETTER, given=True, source="form")
    subscriber = Subscriber.objects.get(email=cara.email)
    assert (subscriber.status, subscriber.source) == (SubscriberStatus.CONFIRMED, "client record")
    consent_set(client=cara, channel=Channel.NEWSLETTER, given=False, source="form")
    subscriber.refresh_from_db()
    assert subscriber.status == SubscriberStatus.UNSUBSCRIBED


def test_the_preferences_page_lets_a_client_stop_one_channel_at_a_time(client, cara):
    for channel in (Channel.NEWSLETTER, Channel.QUESTIONNAIRES, Channel.APPOINTMENT_REMINDERS):
        consent_set(client=cara, channel=channel, given=True, source="form")
    subscriber = Subscriber.objects.get(email=cara.email)
    url = reverse("newsletter:preferences", args=[unsubscribe_token(subscriber.pk)])
    page = client.get(url).content.decode()
    assert "Questionnaires" in page and "Appointment reminders" in page
    client.post(url, {"newsletter": "on", "client-appointment_reminders": "on"})
    cara.refresh_from_db()
    assert not cara.consent_questionnaires
    assert cara.consent_appointment_reminders and cara.consent_newsletter
    record = ConsentRecord.objects.filter(client=cara, channel="questionnaires").first()
    assert (record.given, record.source) == (False, "email preferences page")
    subscriber.refresh_from_db()
    assert subscriber.status == SubscriberStatus.CONFIRMED


def test_unticking_the_newsletter_there_also_updates_the_client_record(client, cara):
    consent_set(client=cara, channel=Channel.NEWSLETTER, given=True, source="form")
    subscriber = Subscriber.objects.get(email=cara.email)
    client.post(reverse("newsletter:preferences", args=[unsubscribe_token(subscriber.pk)]), {})
    cara.refresh_from_db()
    subscriber.refresh_from_db()
    assert not cara.consent_newsletter
    assert subscriber.status == SubscriberStatus.UNSUBSCRIBED
    assert ConsentRecord.objects.filter(client=cara, channel="newsletter", given=False).exists()
