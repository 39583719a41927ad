"""Consent to be contacted: every change recorded with who and when."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from clients.models import Channel, Client, ConsentRecord
from clients.services import consent_set
from tests.conftest import CLIENT_INLINES


def test_giving_consent_sets_the_flag_and_records_when(cara, tess):
    at = timezone.now()
    record = consent_set(
        client=cara, channel=Channel.NEWSLETTER, given=True, source="phone call", recorded_by=tess, at=at
    )
    cara.refresh_from_db()
    assert cara.consent_newsletter is True
    assert cara.consent_newsletter_at == at
    assert (record.channel, record.given, record.recorded_by, record.source) == ("newsletter", True, tess, "phone call")


def test_repeating_the_same_answer_records_nothing_new(cara):
    consent_set(client=cara, channel=Channel.QUESTIONNAIRES, given=True, source="form")
    assert consent_set(client=cara, channel=Channel.QUESTIONNAIRES, given=True, source="form") is None
    assert ConsentRecord.objects.filter(client=cara).count() == 1


def test_withdrawing_is_recorded_as_its_own_event(cara):
    consent_set(client=cara, channel=Channel.QUESTIONNAIRES, given=True, source="form")
    consent_set(client=cara, channel=Channel.QUESTIONNAIRES, given=False, source="unsubscribe link")
    assert list(ConsentRecord.objects.filter(client=cara).values_list("given", flat=True)) == [False, True]
    cara.refresh_from_db()
    assert not cara.has_consent(Channel.QUESTIONNAIRES)


def test_an_unknown_channel_is_refused(cara):
    with pytest.raises(ValueError):
        consent_set(client=cara, channel="carrier-pigeon", given=True, source="x")
    assert not ConsentRecord.objects.exists()


def client_form(person: Client, **changes) -> dict[str, object]:
    data = {
        "practice": person.practice_id,
        "therapist": person.therapist_id,
        "first_name": person.first_name,
        "last_name": person.last_name,
        "email": person.email,
        "status": person.status,
        **CLIENT_INLINES,
    }
    for channel in Channel:
        if person.has_consent(channel):
            data[Client.consent_field(channel)] = "on"
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def test_ticking_consent_in_the_admin_records_who_did_it(client, tess, cara):
    client.force_login(tess)
    response = client.post(
        reverse("admin:clients_client_change", args=[cara.pk]), client_form(cara, consent_questionnaires="on")
    )
    assert response.status_code == 302
    record = ConsentRecord.objects.get(client=cara)
    assert (record.channel, record.given, record.recorded_by) == ("questionnaires", True, tess)
    cara.refresh_from_db()
    assert cara.consent_questionnaires and cara.consent_questionnaires_at is not None


def test_unticking_consent_in_the_admin_records_the_withdrawal(client, tess, cara):
    consent_set(client=cara, channel=Channel.NEWSLETTER, given=True, source="form")
    cara.refresh_from_db()
    client.force_login(tess)
    client.post(reverse("admin:clients_client_change", args=[cara.pk]), client_form(cara, consent_newsletter=None))
    assert list(ConsentRecord.objects.filter(client=cara).values_list("given", flat=True)) == [False, True]


def test_a_new_client_with_consent_gets_a_record_per_channel(client, tess, harbour):
    client.force_login(tess)
    response = client.post(
        reverse("admin:clients_client_add"),
        {
            "practice": harbour.pk,
            "therapist": tess.pk,
            "first_name": "Nadia",
            "last_name": "Quill",
            "preferred_name": "Nad",
            "email": "nadia@example.net",
            "status": "active",
            "consent_questionnaires": "on",
            "consent_appointment_reminders": "on",
            **CLIENT_INLINES,
        },
    )
    assert response.status_code == 302
    nadia = Client.objects.get(email="nadia@example.net")
    assert nadia.display_name == "Nad Quill"
    assert set(ConsentRecord.objects.filter(client=nadia).values_list("channel", flat=True)) == {
        "questionnaires",
        "appointment_reminders",
    }


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("email", "not-an-email", "Enter a valid email address"),
        ("date_of_birth", "2999-01-01", "cannot be in the future"),
        ("date_of_birth", "1800-01-01", "check the year of birth"),
        ("date_of_birth", "31/31/2000", "Enter a valid date"),
        ("status", "deceased", "Select a valid choice"),
        ("first_name", "", "This field is required"),
        ("first_name", "x" * 101, "at most 100 characters"),
    ],
)
def test_bad_input_re_renders_with_a_message_and_saves_nothing(client, tess, cara, field, value, message):
    client.force_login(tess)
    before = Client.objects.values().get(pk=cara.pk)
    response = client.post(reverse("admin:clients_client_change", args=[cara.pk]), client_form(cara, **{field: value}))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert Client.objects.values().get(pk=cara.pk) == before
    assert not ConsentRecord.objects.exists()


def test_a_therapist_must_work_in_the_clients_practice(cara, otto):
    cara.therapist = otto
    with pytest.raises(ValidationError, match="must work in the client's practice"):
        cara.full_clean()


def test_a_date_of_birth_today_is_accepted(cara):
    cara.date_of_birth = timezone.localdate()
    cara.full_clean()
    cara.date_of_birth = timezone.localdate() + datetime.timedelta(days=1)
    with pytest.raises(ValidationError):
        cara.full_clean()
