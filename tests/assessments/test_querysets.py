"""The read vocabulary of assignments and responses (``assessments.managers``): what each filter keeps and drops."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from assessments.models import AccessAction, AccessEvent, Assignment, AssignmentSchedule, AssignmentStatus, Response

NOW = timezone.make_aware(datetime(2026, 3, 10, 12, 0))
POLICY = {"after_sent_days": [3], "before_expiry_days": [1], "max": 2}


@pytest.fixture
def version(make_version):
    return make_version()


@pytest.fixture
def make_assignment(version, cara):
    """An assignment row in the given state: sent a day ago and expiring in a week unless told otherwise."""

    def make(status: str = AssignmentStatus.SENT, respondent=None, **fields) -> Assignment:
        fields.setdefault("send_at", NOW - timedelta(days=1))
        fields.setdefault("expires_at", fields["send_at"] + timedelta(days=8))
        if status != AssignmentStatus.SCHEDULED:
            fields.setdefault("sent_at", fields["send_at"])
        return Assignment.objects.create(version=version, respondent=respondent or cara, status=status, **fields)

    return make


@pytest.fixture
def make_response(version, cara):
    """A response row, completed an hour ago and not reviewed unless told otherwise."""

    def make(respondent=None, **fields) -> Response:
        fields.setdefault("completed_at", NOW - timedelta(hours=1))
        return Response.objects.create(version=version, respondent=respondent or cara, **fields)

    return make


def ids(queryset) -> set[int]:
    return set(queryset.values_list("pk", flat=True))


# --- Respondent scoping -------------------------------------------------------------------------------------------


def test_a_therapist_sees_the_assignments_of_their_own_clients_only(make_assignment, uma, cara, fiona, olga):
    fionas = make_assignment(respondent=fiona)
    make_assignment(respondent=cara)
    make_assignment(respondent=olga)

    assert ids(Assignment.objects.for_user(uma)) == {fionas.pk}


def test_an_owner_sees_the_assignments_of_every_client_of_their_practice(make_assignment, tess, cara, fiona, olga):
    caras, fionas = make_assignment(respondent=cara), make_assignment(respondent=fiona)
    make_assignment(respondent=olga)

    assert ids(Assignment.objects.for_user(tess)) == {caras.pk, fionas.pk}


def test_a_therapist_sees_the_responses_of_their_own_clients_only(make_response, uma, cara, fiona, olga):
    fionas = make_response(respondent=fiona)
    make_response(respondent=cara)
    make_response(respondent=olga)

    assert ids(Response.objects.for_user(uma)) == {fionas.pk}


def test_someone_signed_out_sees_no_assignments_or_responses(make_assignment, make_response):
    make_assignment()
    make_response()

    assert not Assignment.objects.for_user(AnonymousUser()).exists()
    assert not Response.objects.for_user(AnonymousUser()).exists()


def test_repeating_questionnaires_and_access_events_are_scoped_the_same_way(version, uma, cara, fiona):
    schedules = {
        client: AssignmentSchedule.objects.create(
            instrument=version.instrument, respondent=client, every_weeks=2, max_occurrences=3
        )
        for client in (cara, fiona)
    }
    events = {
        client: AccessEvent.objects.create(action=AccessAction.VIEWED, respondent=client) for client in (cara, fiona)
    }

    assert ids(AssignmentSchedule.objects.for_user(uma)) == {schedules[fiona].pk}
    assert ids(AccessEvent.objects.for_user(uma)) == {events[fiona].pk}


def test_rows_can_be_narrowed_to_given_respondents(make_assignment, cara, fiona):
    caras = make_assignment(respondent=cara)
    make_assignment(respondent=fiona)

    assert ids(Assignment.objects.for_respondents([cara.pk])) == {caras.pk}


# --- Assignments by state -----------------------------------------------------------------------------------------


def test_open_assignments_are_those_whose_link_may_still_be_used(make_assignment):
    kept = {
        make_assignment(status).pk
        for status in (
            AssignmentStatus.SCHEDULED,
            AssignmentStatus.SENT,
            AssignmentStatus.OPENED,
            AssignmentStatus.IN_PROGRESS,
        )
    }
    for status in (AssignmentStatus.COMPLETED, AssignmentStatus.EXPIRED, AssignmentStatus.CANCELLED):
        make_assignment(status)

    assert ids(Assignment.objects.open()) == kept


def test_awaiting_answers_means_invited_unfinished_and_not_yet_expired(make_assignment):
    kept = {
        make_assignment(status).pk
        for status in (AssignmentStatus.SENT, AssignmentStatus.OPENED, AssignmentStatus.IN_PROGRESS)
    }
    make_assignment(AssignmentStatus.SCHEDULED)
    make_assignment(AssignmentStatus.COMPLETED)
    make_assignment(AssignmentStatus.SENT, expires_at=NOW)

    assert ids(Assignment.objects.awaiting_answers(NOW)) == kept


def test_expiring_within_keeps_only_links_that_expire_in_the_window(make_assignment):
    soon = make_assignment(expires_at=NOW + timedelta(days=1))
    make_assignment(expires_at=NOW + timedelta(days=3))
    make_assignment(AssignmentStatus.COMPLETED, expires_at=NOW + timedelta(days=1))

    assert ids(Assignment.objects.expiring_within(NOW, timedelta(days=2))) == {soon.pk}


def test_expired_since_keeps_expired_assignments_from_that_moment_on(make_assignment):
    recent = make_assignment(
        AssignmentStatus.EXPIRED, send_at=NOW - timedelta(days=9), expires_at=NOW - timedelta(days=2)
    )
    make_assignment(AssignmentStatus.EXPIRED, send_at=NOW - timedelta(days=60), expires_at=NOW - timedelta(days=40))
    make_assignment(AssignmentStatus.SENT, send_at=NOW - timedelta(days=9), expires_at=NOW - timedelta(days=2))

    assert ids(Assignment.objects.expired_since(NOW - timedelta(days=30))) == {recent.pk}


def test_an_invitation_is_due_once_its_send_time_has_come(make_assignment):
    due = make_assignment(AssignmentStatus.SCHEDULED, send_at=NOW)
    make_assignment(AssignmentStatus.SCHEDULED, send_at=NOW + timedelta(minutes=1))
    make_assignment(AssignmentStatus.SENT, send_at=NOW - timedelta(days=1))

    assert ids(Assignment.objects.due_for_invitation(NOW)) == {due.pk}


def test_an_assignment_is_due_for_expiry_when_open_and_past_its_expiry(make_assignment):
    past = dict(send_at=NOW - timedelta(days=8), expires_at=NOW)
    due = {make_assignment(AssignmentStatus.SCHEDULED, **past).pk, make_assignment(AssignmentStatus.SENT, **past).pk}
    make_assignment(AssignmentStatus.COMPLETED, **past)
    make_assignment(AssignmentStatus.SENT, expires_at=NOW + timedelta(minutes=1))

    assert ids(Assignment.objects.due_for_expiry(NOW)) == due


def test_a_repeating_questionnaire_is_due_when_active_and_its_next_time_has_come(version, cara):
    def schedule(**fields) -> AssignmentSchedule:
        return AssignmentSchedule.objects.create(
            instrument=version.instrument, respondent=cara, every_weeks=2, max_occurrences=3, **fields
        )

    due = schedule(next_at=NOW)
    schedule(next_at=NOW + timedelta(minutes=1))
    schedule(next_at=NOW - timedelta(days=1), active=False)
    schedule(next_at=None, active=False)

    assert ids(AssignmentSchedule.objects.due(NOW)) == {due.pk}


# --- Reminders ----------------------------------------------------------------------------------------------------


def test_a_reminder_may_be_due_some_days_after_the_invitation(make_assignment):
    long_ago = make_assignment(send_at=NOW - timedelta(days=3), expires_at=NOW + timedelta(days=10))
    make_assignment(send_at=NOW - timedelta(days=2), expires_at=NOW + timedelta(days=10))

    assert ids(Assignment.objects.due_for_reminder(NOW, POLICY)) == {long_ago.pk}


def test_a_reminder_may_be_due_shortly_before_the_expiry(make_assignment):
    close = make_assignment(send_at=NOW - timedelta(hours=1), expires_at=NOW + timedelta(hours=20))
    make_assignment(send_at=NOW - timedelta(hours=1), expires_at=NOW + timedelta(days=2))

    assert ids(Assignment.objects.due_for_reminder(NOW, POLICY)) == {close.pk}


def test_no_reminder_is_due_once_every_reminder_slot_is_used(make_assignment):
    make_assignment(send_at=NOW - timedelta(days=5), reminders_sent=2)
    one_left = make_assignment(send_at=NOW - timedelta(days=5), reminders_sent=1)

    assert ids(Assignment.objects.due_for_reminder(NOW, POLICY)) == {one_left.pk}


def test_no_reminder_is_due_for_a_finished_or_expired_assignment(make_assignment):
    make_assignment(AssignmentStatus.COMPLETED, send_at=NOW - timedelta(days=5))
    make_assignment(AssignmentStatus.SENT, send_at=NOW - timedelta(days=8), expires_at=NOW)

    assert not Assignment.objects.due_for_reminder(NOW, POLICY).exists()


@pytest.mark.parametrize(
    "policy",
    [{**POLICY, "max": 0}, {**POLICY, "after_sent_days": [], "before_expiry_days": []}],
    ids=["no reminders allowed", "no reminder times"],
)
def test_a_policy_that_sends_no_reminders_finds_none_without_asking_the_database(
    make_assignment, policy, django_assert_num_queries
):
    make_assignment(send_at=NOW - timedelta(days=5))

    with django_assert_num_queries(0):
        assert list(Assignment.objects.due_for_reminder(NOW, policy)) == []


# --- Responses ----------------------------------------------------------------------------------------------------


def test_completed_responses_exclude_unfinished_ones(make_response):
    done = make_response()
    make_response(completed_at=None)

    assert ids(Response.objects.completed()) == {done.pk}


def test_unreviewed_responses_exclude_reviewed_ones(make_response):
    waiting = make_response()
    make_response(reviewed_at=NOW)

    assert ids(Response.objects.unreviewed()) == {waiting.pk}


def test_a_response_needs_review_when_completed_and_not_yet_reviewed(make_response):
    waiting = make_response()
    make_response(reviewed_at=NOW)
    make_response(completed_at=None)

    assert ids(Response.objects.needing_review()) == {waiting.pk}
