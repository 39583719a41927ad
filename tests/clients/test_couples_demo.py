"""The demo includes a couple with two rounds of answers, so `make run` shows the couple report."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.urls import reverse

from clients.couples.models import Couple, CoupleAssignment, CoupleAssignmentStatus


@pytest.fixture(autouse=True)
def _development(settings):
    settings.DEBUG = True


@pytest.mark.django_db
def test_the_demo_couple_has_two_rounds_and_loads_once():
    call_command("load_demo")
    call_command("load_demo")
    couple = Couple.objects.get()
    assert str(couple) == "Marcus Bell & Helena Sato" and couple.both_agreed_to_share
    rounds = CoupleAssignment.objects.filter(couple=couple).order_by("completed_at")
    assert [row.status for row in rounds] == [CoupleAssignmentStatus.COMPLETED] * 2
    assert all(row.agreement["scales"] for row in rounds)
    assert rounds[0].agreement != rounds[1].agreement  # they moved between the rounds


@pytest.mark.django_db
def test_uma_opens_the_demo_couple_report(client):
    call_command("load_demo")
    client.post(reverse("admin:login"), {"username": "uma@demo", "password": "tandem-demo-uma"})
    latest = CoupleAssignment.objects.order_by("-completed_at").first()
    page = client.get(reverse("admin:clients_coupleassignment_change", args=[latest.pk])).content.decode()
    assert "Marcus" in page and "Helena" in page and "since last time" in page
    assert page.count('<figure class="trend">') >= 3 and "Shared strengths" in page
