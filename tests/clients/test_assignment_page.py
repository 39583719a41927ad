"""The assignment's page: send again, give 7 more days and cancel as buttons, each asked first; its timeline."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from assessments import assignments, links
from assessments.models import Assignment, AssignmentStatus
from practice.mail.models import EmailKind, OutboundEmail


@pytest.fixture
def sent(make_version, cara, consenting):
    consenting(cara)
    assignment = assignments.assignment_create(version=make_version(), respondent=cara)
    assignments.assignment_dispatch(assignment_id=assignment.pk)
    return Assignment.objects.get(pk=assignment.pk)


def page_url(assignment) -> str:
    return reverse("admin:assessments_assignment_change", args=[assignment.pk])


def do_url(assignment, action: str) -> str:
    return reverse("admin:assessments_assignment_do", args=[assignment.pk, action])


def test_the_page_offers_the_three_buttons_and_shows_what_happened(client, tess, sent):
    assignments.assignment_open(assignment=sent)
    client.force_login(tess)
    html = client.get(page_url(sent)).content.decode()
    for action, label in (("resend", "Send again"), ("extend", "Give 7 more days"), ("cancel", "Cancel")):
        assert f'href="{do_url(sent, action)}" class="assignment-action-{action}">{label}</a>' in html
    timeline = html[html.index('class="assignment-timeline"') :]
    assert timeline.index("Sent") < timeline.index("Opened the link") < timeline.index("The link stops working")
    assert 'name="_save"' not in html


@pytest.mark.parametrize("action", ["resend", "extend", "cancel"])
def test_each_button_asks_first_and_changes_nothing_until_yes(client, tess, sent, action):
    before = Assignment.objects.filter(pk=sent.pk).values().get()
    client.force_login(tess)
    response = client.get(do_url(sent, action))
    html = response.content.decode()
    assert response.status_code == 200 and 'name="confirmed" value="1"' in html
    assert "Cara" in html and "Mood check" in html and page_url(sent) in html
    client.post(do_url(sent, action))  # a post without the confirmation is only the question again
    assert Assignment.objects.filter(pk=sent.pk).values().get() == before


def test_send_again_gives_a_new_link_and_the_old_one_stops(client, tess, sent):
    old = links.link_issue(assignment=sent)
    client.force_login(tess)
    response = client.post(do_url(sent, "resend"), {"confirmed": "1"}, follow=True)
    assert response.redirect_chain[-1][0] == page_url(sent)
    assert b"Sent again with a new link." in response.content
    assert links.link_resolve(old) == (None, links.LinkProblem.UNKNOWN)
    assert OutboundEmail.objects.filter(kind=EmailKind.INVITATION, personalise_id=sent.pk).count() == 2
    assert b"Sent 2 times in all" in client.get(page_url(sent)).content


def test_extend_and_cancel(client, tess, sent):
    client.force_login(tess)
    question = client.get(do_url(sent, "extend")).content.decode()
    until = timezone.localtime(sent.expires_at + timedelta(days=7))
    assert f"{until.day} {until:%B %Y}" in question
    client.post(do_url(sent, "extend"), {"confirmed": "1"})
    assert Assignment.objects.get(pk=sent.pk).expires_at == sent.expires_at + timedelta(days=7)
    response = client.post(do_url(sent, "cancel"), {"confirmed": "1"}, follow=True)
    assert b"Cancelled: the link no longer works." in response.content
    assert Assignment.objects.get(pk=sent.pk).status == AssignmentStatus.CANCELLED
    html = client.get(page_url(sent)).content.decode()
    assert "assignment-action-" not in html, "nothing more to offer on a cancelled questionnaire"
    again = client.post(do_url(sent, "resend"), {"confirmed": "1"}, follow=True)
    assert b"Only an unfinished questionnaire" in again.content


def test_another_therapist_gets_404_and_an_unknown_action_too(client, uma, tess, sent):
    client.force_login(uma)
    assert client.get(do_url(sent, "cancel")).status_code == 404
    assert client.post(do_url(sent, "cancel"), {"confirmed": "1"}).status_code == 404
    assert Assignment.objects.get(pk=sent.pk).status == AssignmentStatus.SENT
    client.force_login(tess)
    assert client.get(do_url(sent, "delete")).status_code == 404


def test_the_timeline_counts_reminders_emailed_not_slots_passed_over(client, tess, sent):
    """A reminder slot is used whether or not an email goes: after the client withdraws consent, the next
    slot sends nothing, and the page still says one reminder was sent."""
    from clients.models import Channel
    from clients.services import consent_set

    first, second = assignments.reminder_times(sent)[:2]
    assert assignments.reminder_send(assignment_id=sent.pk, now=first + timedelta(minutes=1)) == 1
    consent_set(client=sent.respondent, channel=Channel.QUESTIONNAIRES, given=False, source="test")
    assert assignments.reminder_send(assignment_id=sent.pk, now=second + timedelta(minutes=1)) is None
    assignment = Assignment.objects.get(pk=sent.pk)
    assert (assignment.reminders_sent, assignment.reminders_emailed) == (2, 1)
    assert OutboundEmail.objects.filter(kind=EmailKind.REMINDER).count() == 1
    client.force_login(tess)
    timeline = client.get(page_url(sent)).content.decode()
    timeline = timeline[timeline.index('class="assignment-timeline"') :]
    assert "1 reminder sent" in timeline and "2 reminders sent" not in timeline
