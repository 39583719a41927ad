"""The demo practice that `make run` loads."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from clients.models import Client
from practice.models import Membership, Practice


@pytest.fixture(autouse=True)
def _development(settings):
    settings.DEBUG = True


@pytest.mark.django_db
def test_loading_the_demo_twice_creates_it_once(capsys):
    call_command("load_demo")
    counts = (Practice.objects.count(), Membership.objects.count(), Client.objects.count())
    call_command("load_demo")
    assert (Practice.objects.count(), Membership.objects.count(), Client.objects.count()) == counts
    assert counts[2] >= 5
    out = capsys.readouterr().out
    assert "tess@demo" in out and "tandem-demo-tess" in out
    assert "uma@demo" in out and "tandem-demo-uma" in out


@pytest.mark.django_db
def test_the_demo_refuses_to_load_with_debug_off(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG off"):
        call_command("load_demo")
    assert not Practice.objects.exists()


@pytest.mark.django_db
def test_the_demo_therapist_signs_in_and_sees_only_their_clients(client):
    call_command("load_demo")
    response = client.post(
        reverse("admin:login"),
        {"username": "uma@demo", "password": "tandem-demo-uma", "next": reverse("admin:clients_client_changelist")},
        follow=True,
    )
    body = response.content.decode()
    assert response.status_code == 200
    for person in Client.objects.all():
        assert (person.email in body) == (person.therapist.username == "uma@demo")


@pytest.mark.django_db
def test_health_answers_ok_when_the_database_answers(client):
    response = client.get(reverse("health"))
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.django_db
def test_the_demo_has_a_questionnaire_history_and_a_diary_once():
    from assessments.models import Response
    from clients.models import Appointment

    call_command("load_demo")
    call_command("load_demo")
    cara = Client.objects.get(first_name="Cara")
    responses = Response.objects.filter(respondent=cara).order_by("completed_at")
    assert responses.count() == 5
    totals = [r.scores["scales"]["total"]["value"] for r in responses]
    assert totals[-1] > totals[0]
    assert Appointment.objects.count() == 3
