"""Couples: two clients linked, one questionnaire asked of both, each answering alone."""
# ruff: noqa: F811 - the couple fixtures are imported by name

from __future__ import annotations

import json
import re

import pytest
from django.core.cache import cache

from assessments.models import Assignment, AssignmentStatus, Response
from clients.couples.models import Couple, CoupleAssignment, CoupleAssignmentStatus
from clients.couples.services import (
    CoupleError,
    couple_assignment_close,
    couple_assignment_create,
    couple_link,
    couple_share_agreement,
    couple_summary_release,
    couple_unlink,
)
from practice.mail.models import EmailKind, OutboundEmail
from tests.clients.couples_fixtures import answer, couple, couples_version, dev  # noqa: F401

A_ANSWERS = {"low": "2", "calm": "1", "harm": "1"}
B_ANSWERS = {"low": "0", "calm": "3"}


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()


@pytest.fixture
def assigned(couple, couples_version, tess, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return couple_assignment_create(couple=couple, version=couples_version, assigned_by=tess, message="For us.")


# Linking


def test_two_clients_of_one_practice_become_a_couple_and_keep_their_own_records(cara, dev, tess):
    couple = couple_link(partner_a=cara, partner_b=dev, by=tess)
    assert (couple.practice_id, couple.partner_a, couple.partner_b, couple.created_by) == (
        cara.practice_id,
        cara,
        dev,
        tess,
    )
    assert couple.is_active and str(couple) == "Cara Whitfield & Dev Marsh"
    assert Couple.objects.of(cara).get() == Couple.objects.of(dev).get() == couple


def test_clients_of_different_practices_cannot_be_a_couple(cara, olga):
    with pytest.raises(CoupleError, match="same practice"):
        couple_link(partner_a=cara, partner_b=olga)
    assert not Couple.objects.exists()


def test_a_client_is_not_a_couple_with_themselves_nor_linked_twice(cara, dev):
    with pytest.raises(CoupleError, match="two different clients"):
        couple_link(partner_a=cara, partner_b=cara)
    couple_link(partner_a=cara, partner_b=dev)
    with pytest.raises(CoupleError, match="already linked"):
        couple_link(partner_a=dev, partner_b=cara)


def test_unlinking_ends_the_couple_and_closes_what_is_open_but_history_stays(assigned, tess):
    couple = assigned.couple
    answer(assigned.assignment_a, A_ANSWERS)
    couple_unlink(couple=couple, by=tess)
    couple.refresh_from_db()
    assigned.refresh_from_db()
    assert not couple.is_active and couple.ended_by == tess
    assert assigned.status == CoupleAssignmentStatus.CLOSED
    assert Response.objects.filter(respondent=couple.partner_a).count() == 1  # Cara's answers stay hers
    with pytest.raises(CoupleError, match="unlinked"):
        couple_assignment_create(couple=couple, version=assigned.version)
    couple_link(partner_a=couple.partner_a, partner_b=couple.partner_b)  # they may be linked again later


# Scoping


@pytest.fixture
def uma_couple(uma, fiona, make_client):
    return couple_link(partner_a=fiona, partner_b=make_client(uma, first_name="Finn"))


def test_a_therapist_who_sees_both_partners_sees_the_couple(tess, uma, otto, couple, uma_couple, fiona):
    assert set(Couple.objects.for_user(tess)) == {couple, uma_couple}  # the owner sees the practice
    assert list(Couple.objects.for_user(uma)) == [uma_couple]
    assert not Couple.objects.for_user(otto).exists()
    mixed = couple_link(partner_a=fiona, partner_b=couple.partner_a)  # Uma cannot see Cara
    assert mixed not in Couple.objects.for_user(uma) and mixed in Couple.objects.for_user(tess)


def test_couple_questionnaires_are_scoped_through_their_couple(assigned, uma, otto, tess):
    assert list(CoupleAssignment.objects.for_user(tess)) == [assigned]
    assert not CoupleAssignment.objects.for_user(uma).exists()
    assert not CoupleAssignment.objects.for_user(otto).exists()


# Assigning


def test_assigning_to_a_couple_makes_an_ordinary_assignment_and_invitation_for_each_partner(assigned, cara, dev):
    first, second = (Assignment.objects.get(pk=pk) for pk in (assigned.assignment_a_id, assigned.assignment_b_id))
    assert (first.respondent, second.respondent) == (cara, dev)
    assert {first.status, second.status} == {AssignmentStatus.SENT}
    assert first.message == second.message == "For us."
    invitations = OutboundEmail.objects.filter(kind=EmailKind.INVITATION)
    assert sorted(invitations.values_list("to_email", flat=True)) == sorted([cara.email, dev.email])
    assert {email.personalise_id for email in invitations} == {first.pk, second.pk}  # each their own link
    assert assigned.status == CoupleAssignmentStatus.OPEN and not assigned.different_order
    assert first.question_order_seed is None and second.question_order_seed is None


def test_only_a_published_questionnaire_for_couples_can_be_assigned(couple, make_version):
    with pytest.raises(CoupleError, match="suited to couples"):
        couple_assignment_create(couple=couple, version=make_version())
    assert not Assignment.objects.exists()


def test_a_partner_who_may_not_be_emailed_stops_the_couple_assignment(cara, dev, couples_version):
    couple = couple_link(partner_a=cara, partner_b=dev)  # nobody ticked questionnaire emails
    with pytest.raises(CoupleError, match="may not be emailed"):
        couple_assignment_create(couple=couple, version=couples_version)
    assert not Assignment.objects.exists() and not CoupleAssignment.objects.exists()


def test_the_couple_assignment_is_complete_when_both_have_answered(assigned):
    answer(assigned.assignment_a, A_ANSWERS)
    assigned.refresh_from_db()
    assert assigned.status == CoupleAssignmentStatus.OPEN
    answer(assigned.assignment_b, B_ANSWERS)
    assigned.refresh_from_db()
    assert assigned.status == CoupleAssignmentStatus.COMPLETED and assigned.completed_at is not None


def test_the_therapist_closes_it_with_one_answer_and_the_other_link_stops(assigned):
    answer(assigned.assignment_a, A_ANSWERS)
    couple_assignment_close(couple_assignment=assigned)
    assigned.refresh_from_db()
    assert assigned.status == CoupleAssignmentStatus.CLOSED
    assert Assignment.objects.get(pk=assigned.assignment_b_id).status == AssignmentStatus.CANCELLED
    assert Assignment.objects.get(pk=assigned.assignment_a_id).status == AssignmentStatus.COMPLETED
    with pytest.raises(CoupleError):
        couple_assignment_close(couple_assignment=assigned)


def test_each_partner_sees_a_different_order_when_asked_and_scores_the_same(
    client, couple, django_capture_on_commit_callbacks
):
    from assessments import links

    version = six_questions()
    with django_capture_on_commit_callbacks(execute=True):
        assigned = couple_assignment_create(couple=couple, version=version, different_order=True)
    first, second = assigned.assignment_a, assigned.assignment_b
    assert first.question_order_seed is None and second.question_order_seed is not None

    def order(assignment) -> list[str]:
        token = links.link_issue(assignment=assignment)
        page = client.get(f"/q/{token}/page/1/").content.decode()
        return list(dict.fromkeys(re.findall(r'name="item-(q\d)"', page)))

    seen_a, seen_b = order(first), order(second)
    assert seen_a == [f"q{n}" for n in range(1, 7)]
    assert sorted(seen_b) == seen_a and seen_b != seen_a
    same = {f"q{n}": str(n % 4) for n in range(1, 7)}
    answer(first, same)
    answer(second, same)
    assert (
        Response.objects.get(respondent=couple.partner_a).scores
        == Response.objects.get(respondent=couple.partner_b).scores
    )


def six_questions():
    """A couples questionnaire of six free-standing questions on one page, so their order can change."""
    from assessments import services

    frequency = [{"code": str(n), "label": f"Option {n}", "value": n} for n in range(4)]
    doc = {
        "format": "tandem-instrument/1",
        "slug": "six-questions",
        "title": "Six questions",
        "couples": True,
        "answer_scales": [{"key": "f", "options": frequency}],
        "items": [
            {"key": f"q{n}", "type": "single_choice", "text": f"Question {n}", "answer_scale": "f"} for n in range(1, 7)
        ],
        "scales": [
            {
                "key": "total",
                "label": "Total",
                "total": True,
                "items": [f"q{n}" for n in range(1, 7)],
                "bands": [{"low": 0, "high": 18, "label": "All"}],
            }
        ],
    }
    version, _warnings = services.instrument_import(doc, publish=True)
    return version


# Sharing the joint summary


def test_the_joint_summary_is_shared_only_once_both_answered_and_both_agreed(assigned):
    couple = assigned.couple
    answer(assigned.assignment_a, A_ANSWERS)
    with pytest.raises(CoupleError, match="both partners have answered"):
        couple_summary_release(couple_assignment=assigned)
    answer(assigned.assignment_b, B_ANSWERS)
    assigned.refresh_from_db()
    couple_share_agreement(couple=couple, partner=couple.partner_a, agreed=True)
    with pytest.raises(CoupleError, match="Both partners must agree"):
        couple_summary_release(couple_assignment=assigned)
    couple_share_agreement(couple=couple, partner=couple.partner_b, agreed=True)
    couple_summary_release(couple_assignment=assigned)
    assigned.refresh_from_db()
    assert assigned.summary_released_at is not None


def test_only_a_partner_can_agree_to_share(couple, fiona):
    with pytest.raises(CoupleError):
        couple_share_agreement(couple=couple, partner=fiona, agreed=True)


def test_a_partners_link_never_shows_the_others_answers(client, assigned):
    from assessments import links

    answer(assigned.assignment_a, {"low": "3", "calm": "0", "harm": "3", "notes": "Only for my therapist."})
    token = links.link_issue(assignment=Assignment.objects.get(pk=assigned.assignment_b_id))
    pages = [client.get(f"/q/{token}/{path}").content.decode() for path in ("", "page/1/", "review/")]
    for page in pages:
        assert "Only for my therapist." not in page and "checked" not in page
    api = client.get("/api/v1/respond/", HTTP_X_LINK_TOKEN=token).json()
    assert api["answers"] == {} and "Only for my therapist." not in json.dumps(api)
