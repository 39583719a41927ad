"""Who sees and changes which appointment (and questionnaire plan) in the admin: the scoping matrix.

Cast as in test_admin_scoping: Tess owns Harbour Light, Uma is a therapist there, Otto works
elsewhere. Each client has one appointment with their own therapist. Out of scope is a 404 that
names nobody; anonymous visitors go to the login page.
"""

from __future__ import annotations

import datetime
import json
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from clients import appointments
from clients.models import Appointment, AppointmentStatus, QuestionnairePlan

VISIBLE = {"tess": {"cara", "fiona"}, "uma": {"fiona"}, "otto": {"olga"}, "anonymous": set()}
CLIENTS = ("cara", "fiona", "olga")


@pytest.fixture
def cast(tess, uma, otto, cara, fiona, olga, make_version):
    people = {"tess": tess, "uma": uma, "otto": otto, "cara": cara, "fiona": fiona, "olga": olga}
    start = timezone.now().replace(microsecond=0) + timedelta(days=3)
    version = make_version()
    for name in CLIENTS:
        person = people[name]
        people[f"{name}_appointment"] = appointments.appointment_book(
            client=person, therapist=person.therapist, starts_at=start, note=f"note about {person.last_name}"
        )
        people[f"{name}_plan"] = QuestionnairePlan.objects.create(client=person, instrument=version.instrument)
    return people


@pytest.fixture
def browse(client, cast):
    def sign_in(viewer: str):
        if viewer != "anonymous":
            client.force_login(cast[viewer])
        return client

    return sign_in


def assert_not_leaked(body: str, person) -> None:
    for value in (person.first_name, person.last_name, person.email, f"note about {person.last_name}"):
        assert value not in body, f"{value!r} leaked"


@pytest.mark.parametrize("viewer", list(VISIBLE))
@pytest.mark.parametrize("model", ["appointment", "questionnaireplan"])
def test_the_lists_show_exactly_the_visible_clients(browse, cast, viewer, model):
    response = browse(viewer).get(reverse(f"admin:clients_{model}_changelist"))
    if viewer == "anonymous":
        assert response.status_code == 302 and response["Location"].startswith(reverse("admin:login"))
        return
    assert response.status_code == 200
    body = response.content.decode()
    for name in CLIENTS:
        if name in VISIBLE[viewer]:
            assert cast[name].last_name in body
        else:
            assert_not_leaked(body, cast[name])


@pytest.mark.parametrize("viewer", list(VISIBLE))
@pytest.mark.parametrize("target", CLIENTS)
@pytest.mark.parametrize("model", ["appointment", "questionnaireplan"])
def test_change_pages_are_shown_only_to_those_who_may_see_them(browse, cast, viewer, target, model):
    obj = cast[f"{target}_{'plan' if model == 'questionnaireplan' else model}"]
    response = browse(viewer).get(reverse(f"admin:clients_{model}_change", args=[obj.pk]))
    if viewer == "anonymous":
        assert response.status_code == 302
    elif target in VISIBLE[viewer]:
        assert response.status_code == 200 and cast[target].last_name in response.content.decode()
    else:
        assert response.status_code == 404
        assert_not_leaked(response.content.decode(), cast[target])


@pytest.mark.parametrize("viewer", ["uma", "otto"])
def test_nobody_can_move_cancel_or_mark_an_appointment_they_cannot_see(browse, cast, viewer):
    appointment = cast["cara_appointment"]
    browser = browse(viewer)
    change = reverse("admin:clients_appointment_change", args=[appointment.pk])
    moved = browser.post(
        change,
        {
            "therapist": cast[viewer].pk,
            "starts_at_0": "2031-01-06",
            "starts_at_1": "10:00",
            "duration_minutes": 50,
            "kind": "in_person",
        },
    )
    assert moved.status_code == 404
    for action in ("cancel", "completed", "no_show"):
        url = reverse("admin:clients_appointment_status", args=[appointment.pk, action])
        assert browser.post(url).status_code == 404
    listing = reverse("admin:clients_appointment_changelist")
    browser.post(listing, {"action": "cancel_selected", "_selected_action": [appointment.pk]})
    assert browser.post(
        reverse("admin:clients_appointment_delete", args=[appointment.pk]), {"post": "yes"}
    ).status_code in (403, 404)
    fresh = Appointment.objects.get(pk=appointment.pk)
    assert (fresh.status, fresh.starts_at, fresh.sequence) == (
        AppointmentStatus.BOOKED,
        appointment.starts_at,
        appointment.sequence,
    )


@pytest.mark.parametrize("viewer", ["tess", "uma", "otto"])
def test_the_client_autocomplete_offers_only_visible_clients(browse, cast, viewer):
    for model in ("appointment", "questionnaireplan"):
        response = browse(viewer).get(
            reverse("admin:autocomplete"),
            {"app_label": "clients", "model_name": model, "field_name": "client", "term": ""},
        )
        assert response.status_code == 200
        ids = {int(row["id"]) for row in json.loads(response.content)["results"]}
        assert ids == {cast[name].pk for name in VISIBLE[viewer]}


def test_a_therapist_books_only_her_own_clients_with_herself(browse, cast):
    browser = browse("uma")
    form = browser.get(reverse("admin:clients_appointment_add")).content.decode()
    assert "Elsewhere" not in form and f'value="{cast["tess"].pk}"' not in form
    for client_name, therapist in (("cara", "uma"), ("fiona", "tess"), ("olga", "uma")):
        response = browser.post(
            reverse("admin:clients_appointment_add"),
            {
                "client": cast[client_name].pk,
                "therapist": cast[therapist].pk,
                "starts_at_0": "2031-01-06",
                "starts_at_1": "10:00",
                "duration_minutes": 50,
                "kind": "in_person",
            },
        )
        assert response.status_code == 200 and "Select a valid choice" in response.content.decode()
    assert Appointment.objects.count() == 3


def test_the_owner_books_for_a_colleague_and_only_within_her_practice(browse, cast):
    browser = browse("tess")
    data = {"starts_at_0": "2031-01-06", "starts_at_1": "10:00", "duration_minutes": 50, "kind": "in_person"}
    ok = browser.post(
        reverse("admin:clients_appointment_add"), {**data, "client": cast["fiona"].pk, "therapist": cast["uma"].pk}
    )
    assert ok.status_code == 302
    refused = browser.post(
        reverse("admin:clients_appointment_add"), {**data, "client": cast["cara"].pk, "therapist": cast["otto"].pk}
    )
    assert refused.status_code == 200 and "Select a valid choice" in refused.content.decode()


def test_the_therapist_filter_lists_no_one_from_another_practice(browse, cast):
    body = browse("tess").get(reverse("admin:clients_appointment_changelist")).content.decode()
    assert f"therapist__id__exact={cast['uma'].pk}" in body
    assert f"therapist__id__exact={cast['otto'].pk}" not in body


def test_only_the_owner_may_delete_an_appointment(browse, cast):
    appointment = cast["fiona_appointment"]
    url = reverse("admin:clients_appointment_delete", args=[appointment.pk])
    assert browse("uma").post(url, {"post": "yes"}).status_code == 403
    assert browse("tess").post(url, {"post": "yes"}).status_code == 302
    assert not Appointment.objects.filter(pk=appointment.pk).exists()


def test_a_date_far_from_now_does_not_widen_the_list(browse, cast):
    """The date hierarchy and the 'when' filter narrow the scoped list; they never reach outside it."""
    year = cast["olga_appointment"].starts_at.year
    for query in ({"starts_at__year": year}, {"when": "upcoming"}, {"when": "week"}, {"q": "example.net"}):
        body = browse("uma").get(reverse("admin:clients_appointment_changelist"), query).content.decode()
        assert_not_leaked(body, cast["olga"])
        assert_not_leaked(body, cast["cara"])
    assert datetime.date.today().year <= year


def test_a_clients_appointments_can_be_listed_by_link_but_only_in_scope(browse, cast):
    changelist = reverse("admin:clients_appointment_changelist")
    body = browse("tess").get(changelist, {"client__id__exact": cast["cara"].pk}).content.decode()
    assert "Whitfield" in body and "Lund" not in body
    body = browse("uma").get(changelist, {"client__id__exact": cast["cara"].pk}).content.decode()
    assert_not_leaked(body, cast["cara"])
