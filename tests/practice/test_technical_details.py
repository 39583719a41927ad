"""Keys, Message-IDs, leases and such: in a collapsed "Technical details" section for owners, never for therapists."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from assessments import assignments
from assessments.models import Assignment
from clients import appointments
from practice.mail.models import EmailKind, OutboundEmail


def technical_section(html: str) -> str | None:
    """The "Technical details" fieldset, if the page has one; asserted to be collapsed."""
    found = re.search(
        r'<fieldset class="([^"]*)"[^>]*>(?:(?!</fieldset>).)*?Technical details.*?</fieldset>', html, re.S
    )
    if found is None:
        return None
    assert "collapse" in found.group(1).split(), "the section starts collapsed"
    return found.group(0)


@pytest.fixture
def sent(make_version, fiona, consenting):
    consenting(fiona)
    assignment = assignments.assignment_create(version=make_version(), respondent=fiona)
    assignments.assignment_dispatch(assignment_id=assignment.pk)
    return Assignment.objects.get(pk=assignment.pk)


def test_an_owner_finds_a_sent_emails_keys_in_collapsed_technical_details(client, tess, sent):
    email = OutboundEmail.objects.get(kind=EmailKind.INVITATION, personalise_id=sent.pk)
    client.force_login(tess)
    html = client.get(reverse("admin:mail_outboundemail_change", args=[email.pk])).content.decode()
    section = technical_section(html)
    assert section is not None
    assert escape(email.message_id) in section and escape(email.idempotency_key) in section
    outside = html.replace(section, "")
    for label in ("Message-ID", "Idempotency key", "Resend if lost", "Lease"):
        assert label not in outside, label


def test_an_owner_sees_an_assignments_technical_details_and_its_therapist_does_not(client, tess, uma, sent):
    url = reverse("admin:assessments_assignment_change", args=[sent.pk])
    client.force_login(tess)
    section = technical_section(client.get(url).content.decode())
    assert section is not None and "Question order" in section and "Reminder slots used" in section
    client.force_login(uma)
    html = client.get(url).content.decode()
    assert technical_section(html) is None
    for label in ("Technical details", "Question order", "Reminder slots used", "Last page saved", "private links"):
        assert label not in html, label


def test_an_appointments_calendar_ids_are_for_owners_only(client, tess, uma, fiona):
    starts = (timezone.now() + timedelta(days=3)).replace(minute=0, second=0, microsecond=0)
    appointment = appointments.appointment_book(client=fiona, therapist=uma, starts_at=starts, booked_by=uma)
    url = reverse("admin:clients_appointment_change", args=[appointment.pk])
    client.force_login(tess)
    section = technical_section(client.get(url).content.decode())
    assert section is not None and str(appointment.uid) in section
    client.force_login(uma)
    html = client.get(url).content.decode()
    assert technical_section(html) is None and str(appointment.uid) not in html and "Calendar sequence" not in html
