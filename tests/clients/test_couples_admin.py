"""Couples in the admin: linking, assigning, the couple report, and scoping (another therapist's couple is a 404)."""
# ruff: noqa: F811 - the couple fixtures are imported by name

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.urls import reverse

from assessments.models import AccessEvent, Assignment
from clients.couples.models import Couple, CoupleAssignment, CoupleAssignmentStatus
from clients.couples.services import couple_assignment_create, couple_share_agreement
from tests.clients.couples_fixtures import answer, couple, couples_version, dev  # noqa: F401

A_ANSWERS = {"low": "2", "calm": "1", "harm": "1"}
B_ANSWERS = {"low": "3", "calm": "0", "harm": "3"}


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()


@pytest.fixture
def answered(couple, couples_version, tess, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        pair = couple_assignment_create(couple=couple, version=couples_version, assigned_by=tess)
    answer(pair.assignment_a, A_ANSWERS)
    answer(pair.assignment_b, B_ANSWERS)
    pair.refresh_from_db()
    return pair


def test_a_therapist_links_two_of_her_clients_in_the_admin(client, tess, cara, dev):
    client.force_login(tess)
    form = client.get(reverse("admin:clients_couple_add"))
    assert form.status_code == 200 and b"Dev Marsh" in form.content
    reply = client.post(reverse("admin:clients_couple_add"), {"partner_a": cara.pk, "partner_b": dev.pk})
    assert reply.status_code == 302
    couple = Couple.objects.get()
    assert (couple.partner_a, couple.partner_b, couple.practice_id, couple.created_by) == (
        cara,
        dev,
        cara.practice_id,
        tess,
    )


def test_the_partner_choices_are_the_therapists_own_clients(client, uma, fiona, cara):
    client.force_login(uma)
    page = client.get(reverse("admin:clients_couple_add")).content.decode()
    assert fiona.last_name in page and cara.last_name not in page
    reply = client.post(reverse("admin:clients_couple_add"), {"partner_a": fiona.pk, "partner_b": cara.pk})
    assert reply.status_code == 200 and not Couple.objects.exists()


def test_assigning_from_the_couples_page_sends_each_partner_their_own_invitation(
    client, tess, couple, couples_version, django_capture_on_commit_callbacks
):
    client.force_login(tess)
    page = client.get(reverse("admin:clients_couple_change", args=[couple.pk])).content.decode()
    assign = reverse("admin:clients_couple_assign", args=[couple.pk])
    assert assign in page
    form = client.get(assign).content.decode()
    assert "Mood check" in form
    with django_capture_on_commit_callbacks(execute=True):
        reply = client.post(assign, {"version": couples_version.pk, "expires_in_days": 14, "message": ""})
    pair = CoupleAssignment.objects.get()
    assert reply["Location"] == reverse("admin:clients_coupleassignment_change", args=[pair.pk])
    assert set(Assignment.objects.values_list("respondent_id", flat=True)) == {couple.partner_a_id, couple.partner_b_id}


def test_only_questionnaires_for_couples_are_offered(client, tess, couple, couples_version, make_version):
    single = make_version()
    client.force_login(tess)
    reply = client.post(
        reverse("admin:clients_couple_assign", args=[couple.pk]), {"version": single.pk, "expires_in_days": 14}
    )
    assert reply.status_code == 200 and not CoupleAssignment.objects.exists()


def test_the_couple_report_shows_both_scores_the_lists_and_agreement_and_is_logged(client, tess, answered):
    client.force_login(tess)
    page = client.get(reverse("admin:clients_coupleassignment_change", args=[answered.pk])).content.decode()
    # Cara: low 2, calm 1 (reverse: 2), harm 1 = 5 (Moderate); Dev: 3, 0 (reverse: 3), 3 = 9 (High).
    assert "Cara Whitfield" in page and "Dev Marsh" in page
    assert ">5</" in page.replace(" <strong>", "</") or "5 <strong>Moderate</strong>" in page
    assert "9 <strong>High</strong>" in page
    # Healthy is low on this higher-is-worse total (calm, reverse-keyed: high): low (2, 3) and calm (1, 0) are
    # shared growth areas; harm (1 healthy, 3 not) is 2 points apart: different views.
    assert "Shared growth areas (2)" in page and "Feeling low" in page and "Feeling calm" in page
    assert "Shared strengths (0)" in page and "Different views (1)" in page and "Thoughts of harming" in page
    assert "0 %" in page and "<svg" in page
    events = AccessEvent.objects.filter(note="couple report")
    assert sorted(events.values_list("respondent_id", flat=True)) == sorted(
        [answered.couple.partner_a_id, answered.couple.partner_b_id]
    )


def test_the_report_compares_over_time_with_the_previous_round(
    client, tess, answered, couples_version, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        second = couple_assignment_create(couple=answered.couple, version=couples_version)
    answer(second.assignment_a, {"low": "0", "calm": "3", "harm": "0"})
    answer(second.assignment_b, {"low": "1", "calm": "3", "harm": "0"})
    client.force_login(tess)
    page = client.get(reverse("admin:clients_coupleassignment_change", args=[second.pk])).content.decode()
    assert "since last time" in page and "last time 0 %" in page
    assert "Shared strengths (2)" in page and "100 %" in page  # harm was not shown to Cara: not compared
    assert page.count('<figure class="trend">') == 3  # each partner, and the agreement


def test_the_therapist_closes_a_couple_questionnaire_and_shares_the_summary_once_both_agreed(
    client, tess, answered, couple
):
    client.force_login(tess)
    share = reverse("admin:clients_coupleassignment_share", args=[answered.pk])
    client.post(share)
    answered.refresh_from_db()
    assert answered.summary_released_at is None  # nobody agreed yet
    change = reverse("admin:clients_couple_change", args=[couple.pk])
    client.post(
        change, {"share_a": "on", "share_b": "on", "assignments-TOTAL_FORMS": 1, "assignments-INITIAL_FORMS": 1}
    )
    couple.refresh_from_db()
    assert couple.both_agreed_to_share
    client.post(share)
    answered.refresh_from_db()
    assert answered.summary_released_at is not None


def test_unlinking_from_the_couples_page(client, tess, couple):
    client.force_login(tess)
    client.post(reverse("admin:clients_couple_unlink", args=[couple.pk]))
    couple.refresh_from_db()
    assert not couple.is_active


@pytest.mark.parametrize("who", ["uma", "otto"])
def test_another_therapists_couple_is_a_404_on_every_page(client, request, who, answered):
    couple = answered.couple
    client.force_login(request.getfixturevalue(who))
    pages = [
        reverse("admin:clients_couple_change", args=[couple.pk]),
        reverse("admin:clients_couple_assign", args=[couple.pk]),
        reverse("admin:clients_coupleassignment_change", args=[answered.pk]),
    ]
    for url in pages:
        assert client.get(url).status_code == 404, url
    for url in (
        reverse("admin:clients_couple_unlink", args=[couple.pk]),
        reverse("admin:clients_coupleassignment_close", args=[answered.pk]),
        reverse("admin:clients_coupleassignment_share", args=[answered.pk]),
    ):
        assert client.post(url).status_code == 404, url
    for changelist in ("admin:clients_couple_changelist", "admin:clients_coupleassignment_changelist"):
        assert "Whitfield" not in client.get(reverse(changelist)).content.decode()
    couple.refresh_from_db()
    assert couple.is_active and answered.status == CoupleAssignmentStatus.COMPLETED
    assert not AccessEvent.objects.filter(note="couple report").exists()


def test_share_agreement_is_recorded_per_partner(couple):
    couple_share_agreement(couple=couple, partner=couple.partner_b, agreed=True)
    couple.refresh_from_db()
    assert couple.share_agreed_a_at is None and couple.share_agreed_b_at is not None
