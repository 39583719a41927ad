"""Assignments and their private links: issued, hashed, replaced, closed."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from assessments import assignments, links
from assessments.models import Assignment, AssignmentLink, AssignmentStatus


@pytest.fixture
def assignment(make_version, cara):
    return assignments.assignment_create(
        version=make_version(),
        respondent=cara,
        message="See you on Tuesday.",
        send_at=timezone.now() + timedelta(hours=1),
    )


def test_an_assignment_starts_scheduled_with_a_fourteen_day_expiry(assignment):
    assert assignment.status == AssignmentStatus.SCHEDULED
    assert assignment.expires_at - assignment.send_at == timedelta(days=14)
    assert not assignment.links.exists() and not assignment.release_scores


def test_a_link_has_256_bits_and_only_its_hash_is_stored(assignment):
    raw = links.link_issue(assignment=assignment)
    assert len(raw) >= 43  # 32 bytes, URL-safe base64
    assert list(AssignmentLink.objects.values_list("token_hash", flat=True)) == [links.token_hash(raw)]
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f'SELECT * FROM "{table}"')  # noqa: S608 - table names from introspection
            for row in cursor.fetchall():
                assert not any(raw in str(value) for value in row), f"raw token stored in {table}"


def test_the_link_opens_its_assignment_and_nothing_else(assignment):
    raw = links.link_issue(assignment=assignment)
    assert links.link_resolve(raw) == (assignment, None)
    assert links.link_resolve(raw + "x") == (None, links.LinkProblem.UNKNOWN)


@pytest.mark.parametrize("raw", [None, "", "a" * 101, 12345, ["list"], "' OR 1=1 --", "\x00"])
def test_malformed_tokens_open_nothing(db, raw):
    assert links.link_resolve(raw) == (None, links.LinkProblem.UNKNOWN)


def test_each_email_gets_its_own_link_and_earlier_ones_keep_working(assignment):
    first = links.link_issue(assignment=assignment)
    second = links.link_issue(assignment=assignment)
    assert first != second
    assert links.link_resolve(first)[0] == assignment
    assert links.link_resolve(second)[0] == assignment


def test_revoking_stops_every_link(assignment):
    first, second = links.link_issue(assignment=assignment), links.link_issue(assignment=assignment)
    assert links.links_revoke(assignment=assignment) == 2
    assert links.link_resolve(first) == (None, links.LinkProblem.UNKNOWN)
    assert links.link_resolve(second) == (None, links.LinkProblem.UNKNOWN)


def test_an_expired_link_says_so(assignment):
    raw = links.link_issue(assignment=assignment)
    Assignment.objects.filter(pk=assignment.pk).update(
        send_at=timezone.now() - timedelta(days=15), expires_at=timezone.now() - timedelta(seconds=1)
    )
    assert links.link_resolve(raw) == (None, links.LinkProblem.EXPIRED)


def test_a_cancelled_assignment_closes_its_link_and_takes_no_new_one(assignment):
    raw = links.link_issue(assignment=assignment)
    assignments.assignment_cancel(assignment=assignment)
    assert links.link_resolve(raw) == (None, links.LinkProblem.CANCELLED)
    with pytest.raises(links.LinkClosed):
        links.link_issue(assignment=assignment)


def test_a_completed_assignment_link_is_used(assignment):
    raw = links.link_issue(assignment=assignment)
    Assignment.objects.filter(pk=assignment.pk).update(status=AssignmentStatus.COMPLETED)
    assert links.link_resolve(raw) == (assignment, links.LinkProblem.USED)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"expires_in_days": 0}, "between 1 and 60 days"),
        ({"expires_in_days": 61}, "between 1 and 60 days"),
        ({"expires_in_days": "14"}, "between 1 and 60 days"),
        ({"message": "x" * 1001}, "at most 1,000 characters"),
        ({"message": "hi\x00"}, "at most 1,000 characters"),
    ],
)
def test_bad_assignment_requests_are_refused_clearly(make_version, cara, changes, message):
    with pytest.raises(assignments.AssignmentError, match=message):
        assignments.assignment_create(version=make_version(), respondent=cara, **changes)
    assert not Assignment.objects.exists()


def test_only_a_published_version_can_be_assigned(make_version, cara):
    with pytest.raises(assignments.AssignmentError, match="published"):
        assignments.assignment_create(version=make_version(publish=False), respondent=cara)


def test_extending_reopens_an_expired_assignment(assignment):
    Assignment.objects.filter(pk=assignment.pk).update(
        status=AssignmentStatus.EXPIRED,
        send_at=timezone.now() - timedelta(days=15),
        expires_at=timezone.now() - timedelta(days=1),
    )
    extended = assignments.assignment_extend(assignment=assignment, days=7)
    assert extended.status == AssignmentStatus.SCHEDULED
    assert extended.expires_at > timezone.now() + timedelta(days=6)
    with pytest.raises(assignments.AssignmentError):
        assignments.assignment_extend(assignment=assignment, days=90)


def test_a_version_with_assignments_cannot_be_deleted(assignment):
    from django.db.models import ProtectedError

    with pytest.raises(ProtectedError):
        assignment.version.instrument.versions.all().delete()


def test_without_host_hooks_only_superusers_see_respondents(db, cara, tess, django_user_model):
    from assessments.hooks import DefaultHooks

    root = django_user_model.objects.create_superuser("root", "root@example.org", "a-long-password-1")
    assert list(DefaultHooks().respondents_for_user(tess)) == []
    assert cara in DefaultHooks().respondents_for_user(root)
    assert not DefaultHooks().respondents_for_user(None).exists()
