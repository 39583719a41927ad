"""A client's rights: everything held about them in one archive, erasure that leaves nothing, retention."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import timedelta

import pytest
from django.apps import apps
from django.db import connection, models
from django.urls import reverse
from django.utils import timezone

from assessments import assignments, links, services
from assessments.models import AccessEvent, Response
from clients import privacy
from clients.models import Channel, Client, ErasureRecord
from clients.services import consent_set
from practice.mail import outbox
from practice.newsletter.models import Subscriber


def relations_to_client() -> list[models.ForeignKey]:
    """Every foreign key, one-to-one or many-to-many in the project that points at the client model."""
    return [
        field
        for model in apps.get_models()
        for field in model._meta.get_fields()
        if field.is_relation and field.concrete and field.related_model is Client
    ]


@pytest.fixture
def full_record(cara, tess, make_version, consenting, django_capture_on_commit_callbacks):
    """Cara with something in every corner: consents, a newsletter subscription, questionnaires answered and
    open, a repeating one, emails in the outbox, an access-log entry."""
    consenting(cara)
    consent_set(client=cara, channel=Channel.NEWSLETTER, given=True, source="test")
    version = make_version()
    with django_capture_on_commit_callbacks(execute=True):
        done = assignments.assignment_create(version=version, respondent=cara, assigned_by=tess)
    links.link_issue(assignment=done)
    done.refresh_from_db()
    assignments.assignment_save_answers(assignment=done, answers={"low": "1", "calm": "2", "harm": "0"})
    assignments.assignment_submit(assignment=done)
    assignments.schedule_create(
        instrument=version.instrument, respondent=cara, every_weeks=4, max_occurrences=3, expires_in_days=14
    )
    from assessments.results import record_access
    from clients.appointments import appointment_book
    from clients.models import PlannedAssignment, QuestionnairePlan

    consent_set(client=cara, channel=Channel.APPOINTMENT_REMINDERS, given=True, source="test")
    appointment = appointment_book(
        client=cara, therapist=tess, starts_at=timezone.now() + timedelta(days=3), location="Room 2", booked_by=tess
    )
    plan = QuestionnairePlan.objects.create(client=cara, instrument=version.instrument, created_by=tess)
    PlannedAssignment.objects.create(plan=plan, appointment=appointment, assignment=done)

    record_access(user=tess, action="viewed", responses=Response.objects.filter(respondent=cara))
    couple_with_both_answers(cara, tess, consenting, django_capture_on_commit_callbacks)
    for model in {field.model for field in relations_to_client()}:
        fields = [f.name for f in relations_to_client() if f.model is model and not f.many_to_many]
        if not any(model._default_manager.filter(**{name: cara}).exists() for name in fields):
            pytest.fail(f"the fixture should give Cara a {model._meta.label} row; add one")
    return cara


def couple_with_both_answers(cara, tess, consenting, capture):
    """Cara and her partner Dev, both answering a questionnaire for couples (whose agreement is then stored)."""
    from clients.couples.services import couple_assignment_create, couple_link
    from tests.assessments.conftest import small_document

    consenting(cara)
    dev = consenting(
        Client.objects.create(
            practice=cara.practice, therapist=tess, first_name="Dev", last_name="Marsh", email="dev.marsh@example.net"
        )
    )
    version, _warnings = services.instrument_import(small_document("us-check") | {"couples": True}, publish=True)
    with capture(execute=True):
        pair = couple_assignment_create(couple=couple_link(partner_a=cara, partner_b=dev), version=version)
    for assignment, answers in (
        (pair.assignment_a, {"low": "1", "calm": "2", "harm": "0"}),
        (pair.assignment_b, DEV_ANSWERS),
    ):
        links.link_issue(assignment=assignment)
        assignment.refresh_from_db()
        assignments.assignment_save_answers(assignment=assignment, answers=answers)
        assignments.assignment_submit(assignment=assignment)
    return pair


#: Dev's answers to the couples questionnaire: they must never be in Cara's archive, and survive her erasure.
DEV_ANSWERS = {"low": "3", "calm": "0", "harm": "2"}


def test_the_subject_access_archive_holds_every_model_that_refers_to_the_client(client, tess, full_record):
    cara = full_record
    client.force_login(tess)
    reply = client.post(
        reverse("admin:clients_client_changelist"), {"action": "subject_access", "_selected_action": [cara.pk]}
    )
    assert reply["Content-Type"] == "application/zip" and "no-store" in reply["Cache-Control"]
    archive = zipfile.ZipFile(io.BytesIO(reply.content))
    data = json.loads(archive.read("data.json"))
    for field in relations_to_client():
        assert data.get(field.model._meta.label_lower), f"{field.model._meta.label} is missing from the archive"
    assert data["client"]["email"] == cara.email
    assert data["assessments.response"][0]["answers"] == {"low": "1", "calm": "2", "harm": "0"}
    assert data["mail.outboundemail"] and data["newsletter.subscriber"]
    assert data["clients.plannedassignment"] and data["assessments.assignmentlink"]
    text = archive.read("data.json").decode()
    assert "token_hash" not in text and "lease_token" not in text
    summary = archive.read("summary.html").decode()
    assert "Cara" in summary and "assessments.response" in summary
    assert AccessEvent.objects.filter(respondent=cara, note="subject access archive").exists()


def test_erasure_leaves_no_row_that_refers_to_the_client(client, tess, full_record):
    cara = full_record
    number, email, surname = cara.pk, cara.email, cara.last_name
    client.force_login(tess)
    changelist = reverse("admin:clients_client_changelist")
    confirm = client.post(changelist, {"action": "erase", "_selected_action": [cara.pk]})
    assert b"Type ERASE to confirm" in confirm.content and Client.objects.filter(pk=number).exists()
    client.post(changelist, {"action": "erase", "_selected_action": [cara.pk], "confirm": "erase"})
    assert Client.objects.filter(pk=number).exists()  # only the exact word erases
    client.post(changelist, {"action": "erase", "_selected_action": [cara.pk], "confirm": "ERASE"})

    assert not Client.objects.filter(pk=number).exists()
    for field in relations_to_client():
        lookup = {f"{field.attname}": number} if not field.many_to_many else {f"{field.name}__pk": number}
        assert not field.model._default_manager.filter(**lookup).exists(), field
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            if table in ("practice_suppression",):  # keeps bounced addresses on purpose (none here)
                continue
            cursor.execute(f'SELECT * FROM "{table}"')  # noqa: S608 - table names from introspection
            for row in cursor.fetchall():
                assert not any(email in str(value) or surname in str(value) for value in row), table
    record = ErasureRecord.objects.get()
    assert (record.client_number, record.erased_by) == (number, tess)
    assert (
        record.counts["assessments.response"] == 2 and record.counts["newsletter.subscriber"] == 1
    )  # one as a partner
    assert AccessEvent.objects.filter(respondent__isnull=True).exists()  # the log stays, without the link
    assert not Subscriber.objects.filter(email=email).exists()


@pytest.mark.parametrize("who", ["uma", "otto"])
def test_only_an_owner_of_the_clients_practice_can_erase_or_download(client, request, who, full_record, fiona):
    cara = full_record
    client.force_login(request.getfixturevalue(who))
    changelist = reverse("admin:clients_client_changelist")
    for action in ("erase", "subject_access"):
        reply = client.post(changelist, {"action": action, "_selected_action": [cara.pk], "confirm": "ERASE"})
        assert reply.get("Content-Type", "").startswith("text/html")
    assert Client.objects.filter(pk=cara.pk).exists()
    if who == "uma":  # a therapist cannot erase even her own client
        client.post(changelist, {"action": "erase", "_selected_action": [fiona.pk], "confirm": "ERASE"})
        assert Client.objects.filter(pk=fiona.pk).exists()
    assert client.get(reverse("admin:clients_erasurerecord_changelist")).status_code in (200, 403)
    assert not ErasureRecord.objects.exists()


def test_records_past_their_retention_time_are_listed(client, tess, cara, make_client, settings):
    old = make_client(tess, last_name="Longago")
    long_ago = timezone.now() - timedelta(days=9 * 366)
    Client.objects.filter(pk=old.pk).update(updated_at=long_ago, created_at=long_ago)
    assert list(privacy.past_retention(Client.objects.all())) == [Client.objects.get(pk=old.pk)]
    settings.CLIENTS_RETENTION_YEARS = 10
    assert not privacy.past_retention(Client.objects.all()).exists()
    settings.CLIENTS_RETENTION_YEARS = 8
    client.force_login(tess)
    page = client.get(reverse("admin:clients_client_changelist") + "?retention=past").content.decode()
    assert "Longago" in page and cara.last_name not in page


def test_a_recent_answer_keeps_an_old_record(cara, make_version, settings):
    long_ago = timezone.now() - timedelta(days=9 * 366)
    Client.objects.filter(pk=cara.pk).update(updated_at=long_ago, created_at=long_ago)
    version = make_version()
    Response.objects.create(
        version=version,
        respondent=cara,
        answers={"low": "0"},
        scores=services.version_score(version, {"low": "0"}),
        completed_at=timezone.now() - timedelta(days=30),
    )
    assert not privacy.past_retention(Client.objects.all()).exists()


def test_the_outbox_keeps_sent_counts_but_loses_the_address(cara, tess, full_record):
    rows = list(privacy.emails_to(cara).values_list("pk", flat=True))
    assert rows
    privacy.client_erase(client=cara, by=tess)
    from practice.mail.models import OutboundEmail

    kept = OutboundEmail.objects.filter(pk__in=rows)
    assert kept.count() == len(rows)
    assert set(kept.values_list("to_email", flat=True)) == {"erased@erased.invalid"}
    assert not any(kept.values_list("body_text", flat=True))
    assert outbox.LINK_PLACEHOLDER not in "".join(kept.values_list("body_html", flat=True))


def test_the_weekly_review_tells_the_owners_once_and_erases_nothing(tess, uma, make_client):
    from practice.mail.models import EmailKind, OutboundEmail

    old = make_client(tess, last_name="Longago")
    long_ago = timezone.now() - timedelta(days=9 * 366)
    Client.objects.filter(pk=old.pk).update(updated_at=long_ago, created_at=long_ago)
    assert privacy.retention_review() == {old.practice_id: 1}
    assert privacy.retention_review() == {old.practice_id: 1}
    [note] = OutboundEmail.objects.filter(kind=EmailKind.NOTIFICATION)
    assert note.to_email == tess.email and "?retention=past" in note.body_text
    assert "Longago" not in note.body_text + note.body_html
    assert Client.objects.filter(pk=old.pk).exists()


def test_the_retention_task_runs_from_the_beat_schedule(settings, tess, make_client):
    from clients.tasks import retention_review

    assert settings.CELERY_BEAT_SCHEDULE["clients-retention-review"]["task"] == retention_review.name
    old = make_client(tess)
    Client.objects.filter(pk=old.pk).update(
        updated_at=timezone.now() - timedelta(days=3000), created_at=timezone.now() - timedelta(days=3000)
    )
    assert retention_review.delay().get() == {str(old.practice_id): 1}
