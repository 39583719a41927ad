"""No stored row holds a working token: confirmation, unsubscribe and preferences links, questionnaire links
and enrolment links are filled in only as their email goes. Every table is scanned, every value tried."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.db import connection
from django.test import Client

from practice.newsletter.models import Campaign, Subscriber, SubscriberStatus

pytestmark = pytest.mark.django_db

#: Anything that could be a token: a run of the characters signed tokens and link keys are made of.
CANDIDATE = re.compile(r"[A-Za-z0-9_\-:]{20,}")


def working(candidate: str) -> str | None:
    """What ``candidate`` opens, if anything."""
    from assessments.links import link_resolve
    from clients.emails import read_appointment_stop_token, read_stop_token
    from practice.newsletter.tokens import read_confirm_token, read_unsubscribe_token

    if read_confirm_token(candidate) is not None:
        return "a confirmation"
    if read_unsubscribe_token(candidate) is not None:
        return "an unsubscribe or preferences link"
    if link_resolve(candidate)[0] is not None:
        return "a questionnaire"
    if read_stop_token(candidate) is not None or read_appointment_stop_token(candidate) is not None:
        return "a stop link"
    return None


def working_tokens_stored() -> list[str]:
    found = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f'SELECT * FROM "{table}"')  # noqa: S608 - table names from introspection
            for row in cursor.fetchall():
                for value in row:
                    for candidate in CANDIDATE.findall(str(value)):
                        if (opens := working(candidate)) is not None:
                            found.append(f"{table}: {opens}")
    return found


@pytest.fixture
def mailed(harbour, tess, cara, consenting, make_version, settings):
    """A subscription asked for, a newsletter to confirmed readers and a questionnaire, all queued."""
    from assessments import assignments
    from practice.newsletter.campaigns import campaign_start

    settings.TANDEM_SITE_URL = "https://tandem.example"
    Client().post(f"/newsletter/{harbour.pk}/subscribe/", {"name": "New", "email": "new@example.org", "consent": "yes"})
    for n in range(3):
        Subscriber.objects.create(practice=harbour, email=f"reader{n}@example.org", status=SubscriberStatus.CONFIRMED)
    campaign = Campaign.objects.create(practice=harbour, subject="News", body_markdown="Hello.", created_by=tess)
    campaign_start(campaign=campaign)
    consenting(cara)
    assignment = assignments.assignment_create(version=make_version(), respondent=cara)
    assignments.assignment_dispatch(assignment_id=assignment.pk)
    _appointment_for(cara)


def _appointment_for(client):
    from datetime import timedelta

    from django.utils import timezone

    from clients.appointments import appointment_book
    from clients.models import Channel
    from clients.services import consent_set

    consent_set(client=client, channel=Channel.APPOINTMENT_REMINDERS, given=True, source="test")
    appointment_book(client=client, therapist=client.therapist, starts_at=timezone.now() + timedelta(days=3))


def test_no_stored_row_or_header_holds_a_working_token(mailed):
    from practice.mail.models import OutboundEmail

    assert OutboundEmail.objects.count() >= 5
    assert working_tokens_stored() == []


def test_the_emails_as_sent_carry_working_links(mailed, settings):
    from practice.mail.outbox import drain

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    mail.outbox.clear()
    drain()
    sent = {message.to[0]: message for message in mail.outbox}
    confirmation = sent["new@example.org"]
    opened = {working(c) for c in CANDIDATE.findall(confirmation.body)}
    assert "a confirmation" in opened
    newsletter = sent["reader0@example.org"]
    assert "an unsubscribe or preferences link" in {working(c) for c in CANDIDATE.findall(newsletter.body)}
    invitation = next(m for m in mail.outbox if "/q/" in m.body)
    assert {"a questionnaire", "a stop link"} <= {working(c) for c in CANDIDATE.findall(invitation.body)}
    stop_header = invitation.extra_headers["List-Unsubscribe"]
    assert "a stop link" in {working(c) for c in CANDIDATE.findall(stop_header)}
    header = newsletter.extra_headers["List-Unsubscribe"]
    assert "an unsubscribe or preferences link" in {working(c) for c in CANDIDATE.findall(header)}
    unsubscribe = re.search(r"/newsletter/unsubscribe/[^/>]+/", header).group(0)
    assert Client().post(unsubscribe, {"List-Unsubscribe": "One-Click"}).status_code == 200
    assert Subscriber.objects.get(email="reader0@example.org").status == SubscriberStatus.UNSUBSCRIBED
    # still nothing working at rest once they went
    assert working_tokens_stored() == []


def test_a_confirmation_for_someone_no_longer_pending_is_not_sent(mailed, settings):
    from practice.mail.models import EmailKind, EmailStatus, OutboundEmail
    from practice.mail.outbox import drain

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    Subscriber.objects.filter(email="new@example.org").update(status=SubscriberStatus.UNSUBSCRIBED)
    drain()
    confirmation = OutboundEmail.objects.get(kind=EmailKind.CONFIRMATION)
    assert confirmation.status == EmailStatus.CANCELLED


def test_the_scan_finds_a_working_token_when_one_is_stored(mailed):
    from practice.mail.models import OutboundEmail
    from practice.newsletter.tokens import unsubscribe_token

    row = OutboundEmail.objects.first()
    OutboundEmail.objects.filter(pk=row.pk).update(body_text=f"see /newsletter/unsubscribe/{unsubscribe_token(1)}/")
    assert working_tokens_stored() != []
