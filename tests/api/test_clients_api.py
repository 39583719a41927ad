"""Clients and subscribers over the API: the admin's rules, in JSON."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from clients.models import Client, ConsentRecord


def test_a_therapist_adds_a_client_who_is_theirs(world, as_uma, uma):
    response = as_uma.post(
        "/api/v1/clients/",
        {"first_name": "Nell", "last_name": "Quist", "email": "nell@example.net", "consent_questionnaires": True},
        format="json",
    )
    assert response.status_code == 201
    body = response.json()
    assert body["therapist"] == uma.pk and body["consent_questionnaires"] is True
    record = ConsentRecord.objects.get(client_id=body["id"])
    assert (record.channel, record.given, record.source, record.recorded_by) == ("questionnaires", True, "API", uma)


def test_bad_client_data_is_a_400_naming_each_field_and_saves_nothing(world, as_uma):
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    before = Client.objects.count()
    response = as_uma.post(
        "/api/v1/clients/",
        {"first_name": "", "last_name": "x" * 101, "email": "not-an-address", "date_of_birth": tomorrow},
        format="json",
    )
    assert response.status_code == 400
    assert {"first_name", "last_name", "email"} <= set(response.json())
    response = as_uma.post(
        "/api/v1/clients/", {"first_name": "A", "last_name": "B", "email": "a@example.net", "date_of_birth": tomorrow}
    )
    assert response.status_code == 400
    assert response.json()["date_of_birth"] == ["The date of birth cannot be in the future."]
    assert Client.objects.count() == before


def test_types_are_not_guessed(world, as_uma):
    fiona = world["uma"].client
    response = as_uma.patch(f"/api/v1/clients/{fiona.pk}/", {"consent_newsletter": 0, "phone": 7700900123})
    assert response.status_code == 400
    assert set(response.json()) == {"consent_newsletter", "phone"}


def test_withdrawing_consent_is_logged_and_unchanged_consent_is_not(world, as_uma, uma):
    fiona = world["uma"].client
    as_uma.patch(f"/api/v1/clients/{fiona.pk}/", {"consent_questionnaires": True}, format="json")
    assert not ConsentRecord.objects.filter(client=fiona, source="API").exists()
    as_uma.patch(f"/api/v1/clients/{fiona.pk}/", {"consent_questionnaires": False}, format="json")
    record = ConsentRecord.objects.get(client=fiona, source="API")
    assert record.given is False and record.recorded_by == uma
    log = as_uma.get(f"/api/v1/clients/{fiona.pk}/consent-records/").json()
    assert [(row["given"], row["source"]) for row in log] == [(False, "API"), (True, "test")]


def test_clients_are_filtered_searched_ordered_and_paged(world, as_tess, make_client, tess):
    for n in range(3):
        make_client(tess, last_name=f"Zed{n}", status="discharged")
    assert as_tess.get("/api/v1/clients/?status=discharged").json()["count"] == 3
    assert as_tess.get("/api/v1/clients/?search=whitfield").json()["results"][0]["first_name"] == "Cara"
    names = [row["last_name"] for row in as_tess.get("/api/v1/clients/?ordering=-last_name").json()["results"]]
    assert names == sorted(names, reverse=True)
    page = as_tess.get("/api/v1/clients/?page_size=2&page=2").json()
    assert page["count"] == 5 and len(page["results"]) == 2 and page["previous"]
    assert as_tess.get("/api/v1/clients/?page_size=0").status_code == 400
    assert as_tess.get("/api/v1/clients/?page=99").status_code == 404
    assert as_tess.get("/api/v1/clients/?therapist=1e99").status_code == 400
    assert as_tess.get("/api/v1/clients/?status=asleep").status_code == 400


def test_only_an_owner_may_delete_a_client(world, as_uma, as_tess):
    fiona = world["uma"].client
    assert as_uma.delete(f"/api/v1/clients/{fiona.pk}/").status_code == 403
    assert as_tess.delete(f"/api/v1/clients/{fiona.pk}/").status_code == 204
    assert not Client.objects.filter(pk=fiona.pk).exists()


def test_subscribers_are_the_practices_and_only_owners_add_them(world, as_uma, as_tess, outbox_rows):
    emails = {row["email"] for row in as_uma.get("/api/v1/subscribers/").json()["results"]}
    assert emails == {"reader.uma@example.com", "reader.tess@example.com"}
    assert as_uma.post("/api/v1/subscribers/", {"email": "x@example.com"}, format="json").status_code == 403
    response = as_tess.post("/api/v1/subscribers/", {"email": "x@example.com", "name": "X"}, format="json")
    assert response.status_code == 201 and response.json()["status"] == "pending"
    assert outbox_rows("x@example.com") == 1  # double opt-in: a confirmation email


def test_unsubscribing_twice_changes_nothing_more(world, as_tess):
    reader = world["tess"].subscriber
    first = as_tess.post(f"/api/v1/subscribers/{reader.pk}/unsubscribe/").json()
    second = as_tess.post(f"/api/v1/subscribers/{reader.pk}/unsubscribe/").json()
    assert first["status"] == second["status"] == "unsubscribed"
    assert first["unsubscribed_at"] == second["unsubscribed_at"]
