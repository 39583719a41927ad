"""A client's questionnaires in Tandem: assigned in the admin, invited by email, reminded, stopped, completed."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from django.core.cache import cache
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from assessments import assignments
from assessments.models import Assignment, AssignmentSchedule, AssignmentStatus
from clients.models import Channel, ClientStatus, ConsentRecord
from practice.mail import outbox
from practice.mail.models import EmailKind, EmailStatus, OutboundEmail

LINK = re.compile(r"http://[^\s\"<>]+/q/[A-Za-z0-9_-]{43}/")


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()


@pytest.fixture
def version(make_version):
    return make_version()


def assign_url(*clients) -> str:
    return reverse("admin:clients_client_assign") + "?ids=" + ",".join(str(c.pk) for c in clients)


def post_assign(client, clients, **data):
    form = {"ids": ",".join(str(c.pk) for c in clients), "expires_in_days": 14, "message": "", **data}
    return client.post(reverse("admin:clients_client_assign"), form)


def body_of(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def html_of(message) -> str:
    return message.get_body(preferencelist=("html",)).get_content()


def test_a_therapist_assigns_from_the_client_page_and_the_invitation_is_queued(
    client, tess, cara, consenting, version, django_capture_on_commit_callbacks
):
    consenting(cara)
    client.force_login(tess)
    page = client.get(reverse("admin:clients_client_change", args=[cara.pk])).content.decode()
    assert assign_url(cara) in page
    form = client.get(assign_url(cara))
    assert form.status_code == 200 and b"Mood check" in form.content
    with django_capture_on_commit_callbacks(execute=True):
        response = post_assign(client, [cara], instrument=version.instrument.pk, message="See you Tuesday.")
    assert response.status_code == 302
    assignment = Assignment.objects.get()
    assert (assignment.respondent, assignment.version, assignment.assigned_by) == (cara, version, tess)
    assert assignment.status == AssignmentStatus.SENT and assignment.message == "See you Tuesday."
    invitation = OutboundEmail.objects.get(kind=EmailKind.INVITATION)
    assert invitation.to_email == cara.email and invitation.personalise_id == assignment.pk
    assert invitation.resend_if_lost and outbox.LINK_PLACEHOLDER in invitation.body_text


def test_the_list_action_assigns_to_many_and_skips_clients_without_consent(
    client, tess, cara, make_client, consenting, version, django_capture_on_commit_callbacks
):
    dan = consenting(make_client(tess, first_name="Dan"))
    eve = make_client(tess, first_name="Eve")  # never agreed to questionnaire emails
    client.force_login(tess)
    consenting(cara)
    response = client.post(
        reverse("admin:clients_client_changelist"),
        {"action": "assign_questionnaire", "_selected_action": [cara.pk, dan.pk, eve.pk]},
    )
    assert response.status_code == 302 and "ids=" in response["Location"]
    page = client.get(response["Location"]).content.decode()
    assert "will be skipped" in page and "Eve" in page
    with django_capture_on_commit_callbacks(execute=True):
        response = post_assign(client, [cara, dan, eve], instrument=version.instrument.pk)
    messages = [str(m) for m in response.wsgi_request._messages]
    assert any("Assigned to 2 clients; the invitations are on their way." in m for m in messages)
    assert any("Skipped Eve" in m for m in messages)
    assert set(Assignment.objects.values_list("respondent_id", flat=True)) == {cara.pk, dan.pk}
    assert OutboundEmail.objects.filter(kind=EmailKind.INVITATION).count() == 2


@pytest.mark.parametrize("who", ["uma", "otto"])
def test_nobody_can_assign_to_a_client_they_cannot_see(client, request, who, cara, consenting, version):
    consenting(cara)
    client.force_login(request.getfixturevalue(who))
    assert client.get(assign_url(cara)).status_code == 404
    assert post_assign(client, [cara], instrument=version.instrument.pk).status_code == 404
    assert not Assignment.objects.exists()


def test_bad_assignment_forms_explain_and_create_nothing(client, tess, cara, consenting, version):
    consenting(cara)
    client.force_login(tess)
    for data in (
        {"instrument": version.instrument.pk, "expires_in_days": 0},
        {"instrument": version.instrument.pk, "expires_in_days": 61},
        {"instrument": 999999},
        {"instrument": version.instrument.pk, "message": "x" * 1001},
        {"instrument": version.instrument.pk, "repeat": "on", "every_weeks": ""},
    ):
        response = post_assign(client, [cara], **data)
        assert response.status_code == 200 and b"errorlist" in response.content, data
    assert not Assignment.objects.exists() and not AssignmentSchedule.objects.exists()


def test_therapists_see_only_their_own_clients_assignments(client, tess, uma, cara, fiona, consenting, version):
    mine = assignments.assignment_create(version=version, respondent=consenting(cara))
    theirs = assignments.assignment_create(version=version, respondent=consenting(fiona))
    client.force_login(uma)
    listing = client.get(reverse("admin:assessments_assignment_changelist")).content.decode()
    assert f"/{theirs.pk}/change/" in listing and f"/{mine.pk}/change/" not in listing
    assert client.get(reverse("admin:assessments_assignment_change", args=[mine.pk])).status_code == 404


def test_the_invitation_email_is_branded_private_and_its_link_works(
    client, smtp, tess, cara, consenting, version, django_capture_on_commit_callbacks
):
    consenting(cara)
    with django_capture_on_commit_callbacks(execute=True):
        assignment = assignments.assignment_create(
            version=version, respondent=cara, assigned_by=tess, message="Before Tuesday, please."
        )
    outbox.drain()
    [message] = smtp.wait_for(1)
    subject, text, html = str(message["Subject"]), body_of(message), html_of(message)
    assert subject == "A questionnaire from Harbour Light"
    assert "Mood check" not in subject + text + html and "mood" not in (subject + text).lower()
    assert "Tess" in text and "Before Tuesday, please." in text and "Please answer by" in text
    assert "Stop questionnaire emails" in html and "/email/stop-questionnaires/" in text
    assert "List-Unsubscribe" in message and "One-Click" in str(message["List-Unsubscribe-Post"])
    [link] = set(LINK.findall(text))
    assert link in html
    token = link.rstrip("/").rsplit("/", 1)[1]
    assert client.get(f"/q/{token}/").status_code == 200
    assignment.refresh_from_db()
    assert assignment.status == AssignmentStatus.OPENED
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f'SELECT * FROM "{table}"')  # noqa: S608 - table names from introspection
            assert not any(token in str(value) for row in cursor.fetchall() for value in row), table


def test_submitting_tells_the_therapist_without_scores_or_answers(
    client, smtp, tess, cara, consenting, version, django_capture_on_commit_callbacks
):
    from assessments import links

    consenting(cara)
    assignment = assignments.assignment_create(version=version, respondent=cara, send_at=timezone.now())
    assignments.assignment_dispatch(assignment_id=assignment.pk)
    token = links.link_issue(assignment=assignment)
    client.post(f"/q/{token}/page/1/", {"item-low": "1", "item-calm": "1", "item-harm": "2", "action": "next"})
    client.post(f"/q/{token}/page/1/", {"item-low": "1", "item-calm": "1", "item-harm": "2", "action": "next"})
    assert client.post(f"/q/{token}/review/").status_code == 303
    note = OutboundEmail.objects.get(kind=EmailKind.NOTIFICATION)
    assert note.to_email == tess.email
    admin_link = reverse("admin:assessments_assignment_change", args=[assignment.pk])
    assert admin_link in note.body_text
    for secret in ("Total", "Moderate", "Self-harm", "Feeling", "Mood check", cara.first_name):
        assert secret not in note.subject + note.body_text + note.body_html
    client.force_login(tess)
    page = client.get(admin_link).content.decode()
    assert "Completed" in page and "Self-harm thoughts" in page and "<td>5</td><td>Moderate</td>" in page


def test_a_lost_invitation_mints_a_fresh_link_at_send_time_and_a_closed_one_is_not_sent(
    smtp, cara, consenting, version
):
    consenting(cara)
    first = assignments.assignment_create(version=version, respondent=cara, send_at=timezone.now())
    second = assignments.assignment_create(version=version, respondent=cara, send_at=timezone.now())
    assignments.assignment_dispatch(assignment_id=first.pk)
    assignments.assignment_dispatch(assignment_id=second.pk)
    assignments.assignment_cancel(assignment=second)
    outbox.drain()
    assert len(smtp.wait_for(1)) == 1
    statuses = dict(OutboundEmail.objects.values_list("personalise_id", "status"))
    assert statuses == {first.pk: EmailStatus.SENT, second.pk: EmailStatus.CANCELLED}


def run_beat(start, days: int, step=timedelta(hours=1)) -> None:
    """Fire the beat every ``step`` for ``days`` days, twice each time, with the clock moving."""
    moment = start
    while moment <= start + timedelta(days=days):
        with time_machine.travel(moment, tick=False):
            assignments.assignments_tick()
            assignments.assignments_tick()
        moment += step


def reminders_for(assignment) -> list[tuple[str, object]]:
    rows = OutboundEmail.objects.filter(kind=EmailKind.REMINDER, personalise_id=assignment.pk).order_by("created_at")
    return [(row.idempotency_key, row.created_at) for row in rows]


def test_reminders_go_out_exactly_per_policy_over_two_weeks(cara, make_client, tess, consenting, version):
    start = timezone.now().replace(microsecond=0)
    clients = [consenting(cara)] + [consenting(make_client(tess)) for _ in range(3)]
    with time_machine.travel(start, tick=False):
        plain, done, cancelled, withdrawn = (
            assignments.assignment_create(version=version, respondent=c, send_at=start) for c in clients
        )
    run_beat(start, days=2)
    assignments.assignment_cancel(assignment=cancelled)
    run_beat(start + timedelta(days=2, hours=1), days=2)
    Assignment.objects.filter(pk=done.pk).update(status=AssignmentStatus.COMPLETED, completed_at=timezone.now())
    from clients.services import consent_withdrawn_by_client

    consent_withdrawn_by_client(client=withdrawn.respondent, channel=Channel.QUESTIONNAIRES, source="test")
    run_beat(start + timedelta(days=4, hours=1), days=11)

    sent = reminders_for(plain)
    assert [key for key, _at in sent] == [f"assignment:{plain.pk}:reminder:1", f"assignment:{plain.pk}:reminder:2"]
    assert start + timedelta(days=3) <= sent[0][1] < start + timedelta(days=3, hours=1)
    assert start + timedelta(days=13) <= sent[1][1] < start + timedelta(days=13, hours=1)
    assert [key for key, _at in reminders_for(done)] == [f"assignment:{done.pk}:reminder:1"]
    assert reminders_for(cancelled) == []
    assert [key for key, _at in reminders_for(withdrawn)] == [f"assignment:{withdrawn.pk}:reminder:1"]
    assert OutboundEmail.objects.filter(kind=EmailKind.INVITATION).count() == 4
    plain.refresh_from_db()
    assert plain.status == AssignmentStatus.EXPIRED and plain.expired_at is not None
    assert Assignment.objects.get(pk=done.pk).status == AssignmentStatus.COMPLETED


def test_a_reminder_missed_while_the_beat_was_down_goes_once_not_twice(cara, consenting, version):
    start = timezone.now().replace(microsecond=0)
    consenting(cara)
    with time_machine.travel(start, tick=False):
        assignment = assignments.assignment_create(version=version, respondent=cara, send_at=start)
        assignments.assignments_tick()
    run_beat(start + timedelta(days=13, hours=2), days=0)  # down from day 0 to day 13: both slots passed
    assert [key for key, _at in reminders_for(assignment)] == [f"assignment:{assignment.pk}:reminder:2"]


def test_the_stop_link_withdraws_consent_tells_the_therapist_and_stops_reminders(
    client, cara, tess, consenting, version
):
    from clients.emails import stop_url

    consenting(cara)
    assignment = assignments.assignment_create(version=version, respondent=cara, send_at=timezone.now())
    assignments.assignment_dispatch(assignment_id=assignment.pk)
    path = stop_url(cara).removeprefix("http://127.0.0.1:8000")
    page = client.get(path)
    assert page.status_code == 200 and page["Referrer-Policy"] == "no-referrer"
    cara.refresh_from_db()
    assert cara.consent_questionnaires  # a GET changes nothing
    assert client.post(path, {"List-Unsubscribe": "One-Click"}).status_code == 200
    assert client.post(path).status_code == 200  # a second press is harmless
    cara.refresh_from_db()
    assert not cara.consent_questionnaires
    record = ConsentRecord.objects.filter(client=cara, channel=Channel.QUESTIONNAIRES).first()
    assert not record.given and record.source == "stop link in an email"
    notes = OutboundEmail.objects.filter(kind=EmailKind.NOTIFICATION, to_email=tess.email)
    assert notes.count() == 1 and reverse("admin:clients_client_change", args=[cara.pk]) in notes.get().body_text
    assert assignments.reminder_send(assignment_id=assignment.pk, now=timezone.now() + timedelta(days=4)) is None
    assert not OutboundEmail.objects.filter(kind=EmailKind.REMINDER).exists()
    assert client.get(path[:-3] + "xx/").status_code == 404


def test_a_repeating_questionnaire_assigns_each_occurrence_and_stops_at_discharge(
    cara, tess, consenting, version, django_capture_on_commit_callbacks
):
    consenting(cara)
    start = timezone.now().replace(microsecond=0)
    with time_machine.travel(start, tick=False):
        schedule = assignments.schedule_create(
            instrument=version.instrument, respondent=cara, every_weeks=2, max_occurrences=5, expires_in_days=7
        )
    assert schedule.occurrences == 1 and schedule.next_at == start + timedelta(weeks=2)
    run_beat(start, days=15, step=timedelta(hours=12))
    assert Assignment.objects.filter(schedule=schedule).count() == 2
    cara.status = ClientStatus.DISCHARGED
    cara.save()
    run_beat(start + timedelta(days=15), days=30, step=timedelta(hours=12))
    schedule.refresh_from_db()
    assert not schedule.active and "no longer active" in schedule.ended_reason
    assert Assignment.objects.filter(schedule=schedule).count() == 2
    with pytest.raises(assignments.AssignmentError, match="expire before the next"):
        assignments.schedule_create(
            instrument=version.instrument, respondent=cara, every_weeks=1, max_occurrences=2, expires_in_days=14
        )


def test_the_therapist_resends_extends_and_cancels_from_the_assignment_list(client, tess, cara, consenting, version):
    from assessments import links

    consenting(cara)
    assignment = assignments.assignment_create(version=version, respondent=cara, send_at=timezone.now())
    assignments.assignment_dispatch(assignment_id=assignment.pk)
    old = links.link_issue(assignment=assignment)
    client.force_login(tess)
    changelist = reverse("admin:assessments_assignment_changelist")

    def act(action: str):
        return client.post(changelist, {"action": action, "_selected_action": [assignment.pk]}, follow=True)

    assert b"Sent again with a new link: 1." in act("resend").content
    assert links.link_resolve(old) == (None, links.LinkProblem.UNKNOWN)
    invitations = OutboundEmail.objects.filter(kind=EmailKind.INVITATION, personalise_id=assignment.pk)
    assert invitations.count() == 2
    expires = Assignment.objects.get(pk=assignment.pk).expires_at
    assert b"Extended by 7 days: 1." in act("extend_week").content
    assert Assignment.objects.get(pk=assignment.pk).expires_at == expires + timedelta(days=7)
    assert b"Cancelled: 1." in act("cancel").content
    assert Assignment.objects.get(pk=assignment.pk).status == AssignmentStatus.CANCELLED
    refused = act("resend").content.decode()
    assert "Only an unfinished questionnaire" in refused
    assert invitations.count() == 2


def test_dates_in_the_invitation_are_the_practices_dates(cara, consenting, version, harbour):
    harbour.time_zone = "Pacific/Kiritimati"  # UTC+14: noon UTC is already tomorrow there
    harbour.save()
    consenting(cara)
    noon = timezone.now().replace(hour=12, minute=0, second=0, microsecond=0)
    assignment = assignments.assignment_create(version=version, respondent=cara, send_at=noon - timedelta(days=1))
    Assignment.objects.filter(pk=assignment.pk).update(expires_at=noon + timedelta(days=7))
    assignments.assignment_dispatch(assignment_id=assignment.pk)
    text = OutboundEmail.objects.get(kind=EmailKind.INVITATION).body_text
    local = noon + timedelta(days=8)
    assert f"{local:%A} {local.day} {local:%B %Y}" in text
