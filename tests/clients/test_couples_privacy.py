"""A partner's rights: their archive holds their own answers and the joint metrics, never the other's answers."""

from __future__ import annotations

import io
import json
import zipfile

from assessments.models import Assignment, Response
from clients import privacy
from clients.couples.models import Couple, CoupleAssignment
from clients.models import Client
from tests.clients.test_privacy import DEV_ANSWERS, couple_with_both_answers

CARA_ANSWERS = {"low": "1", "calm": "2", "harm": "0"}


def archive_of(client) -> dict:
    return json.loads(zipfile.ZipFile(io.BytesIO(privacy.subject_access_archive(client))).read("data.json"))


def test_a_partners_archive_holds_their_answers_and_the_joint_metrics_but_not_the_others(
    cara, tess, consenting, django_capture_on_commit_callbacks
):
    pair = couple_with_both_answers(cara, tess, consenting, django_capture_on_commit_callbacks)
    dev = pair.couple.partner_b
    data = archive_of(cara)
    assert [row["answers"] for row in data["assessments.response"]] == [CARA_ANSWERS]
    assert [row["id"] for row in data["clients.couple"]] == [pair.couple_id]
    (joint,) = data["clients.coupleassignment"]
    assert joint["agreement"] == pair.__class__.objects.get(pk=pair.pk).agreement
    assert set(joint["agreement"]) == {"strengths", "growth_areas", "different_views", "scales"}
    text = json.dumps(data)
    assert dev.email not in text and dev.last_name not in text
    dev_response = Response.objects.get(respondent=dev)
    assert all(row["id"] != dev_response.pk for row in data["assessments.response"])
    assert '"harm": "2"' not in text and DEV_ANSWERS["low"] != CARA_ANSWERS["low"]
    assert [row["respondent"] for row in data["assessments.assignment"]] == [cara.pk] * len(
        data["assessments.assignment"]
    )


def test_the_other_partners_archive_is_theirs_alone(cara, tess, consenting, django_capture_on_commit_callbacks):
    pair = couple_with_both_answers(cara, tess, consenting, django_capture_on_commit_callbacks)
    data = archive_of(pair.couple.partner_b)
    assert [row["answers"] for row in data["assessments.response"]] == [DEV_ANSWERS]
    assert data["clients.coupleassignment"][0]["agreement"] == CoupleAssignment.objects.get().agreement
    assert cara.email not in json.dumps(data)


def test_erasing_one_partner_removes_their_answers_and_the_joint_metrics_and_keeps_the_others_record(
    cara, tess, consenting, django_capture_on_commit_callbacks
):
    pair = couple_with_both_answers(cara, tess, consenting, django_capture_on_commit_callbacks)
    dev = pair.couple.partner_b
    dev_assignment = Assignment.objects.get(pk=pair.assignment_b_id)
    record = privacy.client_erase(client=cara, by=tess)
    assert record.counts["clients.couple"] == 1 and record.counts["clients.coupleassignment"] == 1
    assert not Response.objects.filter(answers=CARA_ANSWERS).exists()
    assert not Couple.objects.exists() and not CoupleAssignment.objects.exists()
    assert Client.objects.filter(pk=dev.pk).exists()
    assert Response.objects.get(respondent=dev).answers == DEV_ANSWERS
    assert Assignment.objects.get(pk=dev_assignment.pk).response.answers == DEV_ANSWERS
