"""Appointments: booking and its refusals, the emails and calendar invitations, the stop link, the admin."""

from __future__ import annotations

import datetime
import zoneinfo
from datetime import timedelta

import icalendar
import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from clients import appointments
from clients.calendar import event_uid
from clients.models import Appointment, AppointmentKind, AppointmentStatus, Channel, ClientStatus, ConsentRecord
from clients.services import consent_set
from practice.mail import outbox
from practice.mail.models import EmailKind, EmailStatus, OutboundEmail

LONDON = zoneinfo.ZoneInfo("Europe/London")


@pytest.fixture
def reminders_ok(db):
    """Record a client's consent to appointment emails, as the therapist would in the admin."""

    def give(person):
        consent_set(client=person, channel=Channel.APPOINTMENT_REMINDERS, given=True, source="test")
        return person

    return give


def soon(days: int = 3, hour: int = 9, minute: int = 0) -> datetime.datetime:
    """A wall-clock time in London ``days`` from today."""
    day = timezone.localdate(timezone.now(), LONDON) + timedelta(days=days)
    return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=LONDON)


def book(person, starts_at, **fields) -> Appointment:
    return appointments.appointment_book(client=person, therapist=person.therapist, starts_at=starts_at, **fields)


def emails_of(appointment: Appointment):
    return OutboundEmail.objects.filter(
        personaliser__in=appointments.OUR_PERSONALISERS, personalise_id=appointment.pk
    ).order_by("created_at", "pk")


def calendar_of(row: OutboundEmail) -> icalendar.Calendar:
    [attachment] = row.attachments
    return icalendar.Calendar.from_ical(attachment["content"])


def body_of(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


# --- Booking and its refusals --------------------------------------------------------------------------------


def test_booking_stores_utc_and_the_end_and_sends_a_confirmation(cara, reminders_ok):
    reminders_ok(cara)
    appointment = book(cara, soon(), duration_minutes=60, location="Room 2")
    appointment.refresh_from_db()
    assert appointment.starts_at.utcoffset() == timedelta(0)
    assert appointment.ends_at == appointment.starts_at + timedelta(minutes=60)
    assert appointment.status == AppointmentStatus.BOOKED and appointment.sequence == 0
    [confirmation] = emails_of(appointment)
    assert confirmation.kind == EmailKind.APPOINTMENT and confirmation.to_email == cara.email
    assert confirmation.idempotency_key == f"appointment:{appointment.pk}:booked"
    assert confirmation.resend_if_lost  # a duplicate invitation merges in the calendar; a lost one does not


@pytest.mark.parametrize(
    ("offset", "length", "clash"),
    [
        (timedelta(0), 50, True),
        (timedelta(minutes=30), 50, True),
        (timedelta(minutes=-30), 50, True),
        (timedelta(minutes=-10), 200, True),  # surrounds it
        (timedelta(minutes=50), 50, False),  # starts as the other ends
        (timedelta(minutes=-50), 50, False),  # ends as the other starts
    ],
)
def test_overlapping_bookings_for_one_therapist_are_refused_with_a_clear_message(
    cara, make_client, tess, offset, length, clash
):
    other = make_client(tess)
    book(cara, soon())
    if not clash:
        book(other, soon() + offset, duration_minutes=length)
        return
    with pytest.raises(ValidationError) as refused:
        book(other, soon() + offset, duration_minutes=length)
    message = " ".join(refused.value.messages)
    assert "The therapist already has an appointment on" in message and "09:00 to 09:50" in message
    assert cara.first_name not in message and cara.last_name not in message  # never another client's name
    assert Appointment.objects.count() == 1


def test_a_cancelled_appointment_frees_its_time_and_other_therapists_are_not_affected(cara, fiona, tess):
    first = book(cara, soon())
    book(fiona, soon())  # Uma's client with Uma: a different therapist at the same time
    appointments.appointment_cancel(appointment=first)
    again = book(cara, soon())
    assert again.status == AppointmentStatus.BOOKED


def test_a_client_cannot_be_in_two_sessions_at_once(cara, make_staff, tess):
    from practice.models import Practice

    colleague = make_staff("vic", Practice.objects.get(pk=cara.practice_id))
    book(cara, soon())
    with pytest.raises(ValidationError, match="The client already has an appointment"):
        appointments.appointment_book(client=cara, therapist=colleague, starts_at=soon(minute=30))


def test_bad_bookings_are_refused_and_change_nothing(cara, otto, tess):
    cara_discharged = cara
    cases = [
        {"therapist": otto},  # works in another practice
        {"duration_minutes": 0},
        {"duration_minutes": 601},
        {"kind": AppointmentKind.ONLINE},  # no meeting link
        {"kind": AppointmentKind.ONLINE, "meeting_url": "javascript:alert(1)"},
    ]
    for fields in cases:
        options = {"client": cara, "therapist": tess, "starts_at": soon(), **fields}
        with pytest.raises(ValidationError):
            appointments.appointment_book(**options)
    with pytest.raises(ValidationError, match="needs a time zone"):
        appointments.appointment_book(client=cara, therapist=tess, starts_at=datetime.datetime(2030, 1, 1, 9))
    cara_discharged.status = ClientStatus.DISCHARGED
    cara_discharged.save()
    with pytest.raises(ValidationError, match="discharged"):
        book(cara_discharged, soon())
    assert not Appointment.objects.exists() and not OutboundEmail.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_the_database_refuses_an_overlap_the_check_did_not_see(postgres, cara, make_client, tess):
    """On PostgreSQL an exclusion constraint backs the locked check (e.g. a bulk import that skips it)."""
    from django.db import IntegrityError, transaction

    book(cara, soon())
    clash = Appointment(client=make_client(tess), therapist=tess, starts_at=soon(minute=20))
    with pytest.raises(IntegrityError, match=appointments.NO_OVERLAP_CONSTRAINT), transaction.atomic():
        clash.save()
    with pytest.raises(ValidationError, match="already has an appointment"):
        appointments._save_guarded(clash)


@pytest.mark.django_db(transaction=True)
def test_two_bookings_racing_for_one_slot_cannot_both_win(postgres, cara, make_client, tess):
    import threading

    from django.db import connection

    other = make_client(tess)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def attempt(person) -> None:
        try:
            barrier.wait(timeout=10)
            book(person, soon())
            outcomes.append("booked")
        except ValidationError as exc:
            outcomes.append(" ".join(exc.messages))
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt, args=(person,)) for person in (cara, other)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(outcomes) == 2 and outcomes.count("booked") == 1, outcomes
    assert "already has an appointment" in next(outcome for outcome in outcomes if outcome != "booked")
    assert Appointment.objects.count() == 1


def test_a_past_appointment_is_recorded_quietly_and_its_outcome_can_be_set(cara, reminders_ok):
    reminders_ok(cara)
    past = book(cara, soon(days=-2))
    assert not emails_of(past).exists() and past.next_reminder_at is None
    appointments.appointment_mark_no_show(appointment=past)
    assert Appointment.objects.get(pk=past.pk).status == AppointmentStatus.NO_SHOW
    appointments.appointment_mark_completed(appointment=past)  # corrected
    assert Appointment.objects.get(pk=past.pk).status == AppointmentStatus.COMPLETED
    future = book(cara, soon())
    with pytest.raises(ValidationError, match="once the appointment has started"):
        appointments.appointment_mark_completed(appointment=future)
    appointments.appointment_cancel(appointment=future)
    with pytest.raises(ValidationError, match="no outcome"):
        appointments.appointment_mark_no_show(appointment=future)
    with pytest.raises(ValidationError, match="Only a booked appointment can be cancelled"):
        appointments.appointment_cancel(appointment=future)
    with pytest.raises(ValidationError, match="Only a booked appointment can be changed"):
        appointments.appointment_move(appointment=future, starts_at=soon(days=4))


def test_without_consent_nothing_is_emailed_but_the_appointment_stands(cara):
    appointment = book(cara, soon())
    appointments.appointment_move(appointment=appointment, starts_at=soon(days=4))
    appointments.appointment_cancel(appointment=appointment)
    assert not OutboundEmail.objects.exists()


def test_a_note_is_private_and_changing_it_alone_sends_nothing(cara, reminders_ok):
    reminders_ok(cara)
    appointment = book(cara, soon(), note="Discuss the sleep diary")
    appointments.appointment_change(appointment=appointment, note="Discuss the sleep diary and the dream")
    appointment.refresh_from_db()
    assert appointment.sequence == 0 and emails_of(appointment).count() == 1
    row = emails_of(appointment).get()
    assert "sleep" not in row.body_text + row.body_html + row.attachments[0]["content"]


# --- The calendar invitation --------------------------------------------------------------------------------


def test_the_invitations_carry_uid_sequence_method_and_the_practice_zone_for_create_move_and_cancel(
    cara, reminders_ok, smtp
):
    reminders_ok(cara)
    appointment = book(cara, soon(hour=9), location="Room 2\nHarbour House")
    outbox.drain()  # the client has heard of it, so a cancellation will go too
    appointments.appointment_move(appointment=appointment, starts_at=soon(days=4, hour=14, minute=30))
    appointments.appointment_cancel(appointment=appointment)
    booked, moved, cancelled = emails_of(appointment)
    expected = [
        (booked, "REQUEST", 0, soon(hour=9), "CONFIRMED"),
        (moved, "REQUEST", 1, soon(days=4, hour=14, minute=30), "CONFIRMED"),
        (cancelled, "CANCEL", 2, soon(days=4, hour=14, minute=30), "CANCELLED"),
    ]
    for row, method, sequence, start, status in expected:
        calendar = calendar_of(row)
        [event] = calendar.events
        assert calendar["METHOD"] == method and row.attachments[0]["mimetype"] == f"text/calendar; method={method}"
        assert str(event["UID"]) == event_uid(appointment) == f"{appointment.uid}@tandem.appointments"
        assert event["SEQUENCE"] == sequence and str(event["STATUS"]) == status
        assert event["DTSTART"].params["TZID"] == "Europe/London"
        assert event.start == start and event.start.tzinfo.key == "Europe/London"
        assert event.end - event.start == timedelta(minutes=50)
        assert [tz.tz_name for tz in calendar.timezones] == ["Europe/London"]
        assert str(event["LOCATION"]) == "Room 2, Harbour House"
        assert str(event["ORGANIZER"]) == f"mailto:{cara.practice.sender_email}"
        assert str(event["ATTENDEE"]) == f"mailto:{cara.email}"
    # The update still waiting when the cancellation came is withdrawn: the cancellation says it all.
    statuses = [OutboundEmail.objects.get(pk=row.pk).status for row in (booked, moved, cancelled)]
    assert statuses == [EmailStatus.SENT, EmailStatus.CANCELLED, EmailStatus.PENDING]


def test_an_online_invitation_has_the_meeting_link_as_location(cara, reminders_ok):
    reminders_ok(cara)
    appointment = book(cara, soon(), kind=AppointmentKind.ONLINE, meeting_url="https://meet.example.org/tess")
    [event] = calendar_of(emails_of(appointment).get()).events
    assert str(event["LOCATION"]) == str(event["URL"]) == "https://meet.example.org/tess"
    assert "https://meet.example.org/tess" in emails_of(appointment).get().body_text


def test_a_practice_elsewhere_books_in_its_own_zone(make_practice, make_staff, make_client, reminders_ok):
    practice = make_practice("Praxis Berlin", time_zone="Europe/Berlin")
    person = reminders_ok(make_client(make_staff("berta", practice)))
    berlin = zoneinfo.ZoneInfo("Europe/Berlin")
    start = datetime.datetime.combine(soon().date(), datetime.time(9), tzinfo=berlin)
    appointment = book(person, start)
    row = emails_of(appointment).get()
    [event] = calendar_of(row).events
    assert event["DTSTART"].params["TZID"] == "Europe/Berlin" and event.start.hour == 9
    assert "09:00 to 09:50 (Europe/Berlin)" in row.body_text  # not the server's London time
    assert f"{start:%A} {start.day} {start:%B}" in row.subject


# --- Emails as the client receives them ---------------------------------------------------------------------


def test_the_confirmation_arrives_with_an_invitation_a_stop_link_and_nothing_private(
    cara, tess, reminders_ok, smtp, django_capture_on_commit_callbacks
):
    reminders_ok(cara)
    with django_capture_on_commit_callbacks(execute=True):  # the outbox drains after commit
        book(cara, soon(hour=16, minute=15), note="Nightmares again")
    [message] = smtp.wait_for(1)
    text = body_of(message)
    assert "16:15 to 17:05 (Europe/London)" in text and "With Tess Harper" in text
    assert "/email/stop-appointment-emails/" in text and "One-Click" in str(message["List-Unsubscribe-Post"])
    assert "Nightmares" not in message.as_string()
    [invite] = [part for part in message.iter_attachments() if part.get_content_type() == "text/calendar"]
    assert invite.get_param("method") == "REQUEST" and invite.get_filename() == "invite.ics"
    [event] = icalendar.Calendar.from_ical(invite.get_content()).events
    assert event.start == soon(hour=16, minute=15)


def test_the_stop_link_withdraws_consent_tells_the_therapist_and_stops_every_appointment_email(
    client, cara, tess, reminders_ok
):
    reminders_ok(cara)
    appointment = book(cara, soon())
    _text, _html, sent_headers = outbox.personalised(emails_of(appointment).get())  # as the email went
    path = sent_headers["List-Unsubscribe"].strip("<>").removeprefix("http://127.0.0.1:8000")
    page = client.get(path)
    assert page.status_code == 200 and page["Referrer-Policy"] == "no-referrer" and page["Cache-Control"] == "no-store"
    cara.refresh_from_db()
    assert cara.consent_appointment_reminders  # a GET (a mail scanner) changes nothing
    assert client.post(path, {"List-Unsubscribe": "One-Click"}).status_code == 200
    assert client.post(path).status_code == 200  # pressing twice is harmless
    cara.refresh_from_db()
    assert not cara.consent_appointment_reminders
    record = ConsentRecord.objects.filter(client=cara, channel=Channel.APPOINTMENT_REMINDERS).first()
    assert not record.given and record.source == "stop link in an appointment email"
    [note] = OutboundEmail.objects.filter(kind=EmailKind.NOTIFICATION, to_email=tess.email)
    assert reverse("admin:clients_client_change", args=[cara.pk]) in note.body_text
    assert cara.first_name not in note.subject + note.body_text
    # The confirmation still waiting is not sent after all, and nothing more is queued.
    assert outbox.personalised(emails_of(appointment).get()) is None
    appointments.appointment_move(appointment=appointment, starts_at=soon(days=5))
    assert emails_of(appointment).count() == 1
    assert client.get(path[:-4] + "xxx/").status_code == 404
    questionnaire_token = path.replace("stop-appointment-emails", "stop-questionnaires")
    assert client.get(questionnaire_token).status_code == 404  # each link opens only its own door


def test_a_change_withdraws_the_messages_still_waiting_about_the_old_version(cara, reminders_ok):
    reminders_ok(cara)
    appointment = book(cara, soon())
    appointments.appointment_move(appointment=appointment, starts_at=soon(days=4))
    booked, moved = emails_of(appointment)
    assert booked.status == EmailStatus.CANCELLED and "Replaced" in booked.last_error
    assert moved.status == EmailStatus.PENDING and "has changed" in moved.subject
    appointments.appointment_cancel(appointment=appointment)
    # The client never received anything, so no cancellation either: nothing to take back.
    assert [row.status for row in emails_of(appointment)] == [EmailStatus.CANCELLED, EmailStatus.CANCELLED]


def test_the_outbox_sends_text_attachments_with_their_mime_parameters(cara, harbour):
    row = outbox.enqueue(
        practice=harbour,
        key="attachment-test",
        kind=EmailKind.APPOINTMENT,
        to=cara.email,
        subject="Attached",
        text="See attached.",
        attachments=[{"filename": "a.ics", "mimetype": "text/calendar; method=CANCEL", "content": "BEGIN:VCALENDAR"}],
        kick=False,
    )
    message = outbox.build_message(row).message()
    [part] = [part for part in message.walk() if part.get_content_type() == "text/calendar"]
    assert part.get_param("method") == "CANCEL" and part.get_filename() == "a.ics"
    assert part.get_payload(decode=True).decode() == "BEGIN:VCALENDAR"
    plain = outbox.build_message(outbox.enqueue(**{**_plain(harbour, cara)})).message()
    assert plain.get_content_type() == "text/plain"  # no attachments: the message is as before


def _plain(practice, person) -> dict:
    return {
        "practice": practice,
        "key": "no-attachment",
        "kind": EmailKind.APPOINTMENT,
        "to": person.email,
        "subject": "Plain",
        "text": "Plain.",
        "kick": False,
    }


# --- The admin ------------------------------------------------------------------------------------------------


def admin_form(**fields) -> dict:
    day, time = fields.pop("starts", ("2030-06-03", "09:00"))
    return {
        "starts_at_0": day,
        "starts_at_1": time,
        "duration_minutes": 50,
        "kind": AppointmentKind.IN_PERSON,
        "location": "",
        "meeting_url": "",
        "note": "",
        **fields,
    }


def test_a_therapist_books_in_the_admin_in_the_practice_zone_and_the_client_is_told(
    client, tess, cara, reminders_ok, make_practice, make_staff, make_client
):
    reminders_ok(cara)
    client.force_login(tess)
    add = reverse("admin:clients_appointment_add")
    form = client.get(add).content.decode()
    assert "time zone (Europe/London)" in form
    response = client.post(add, admin_form(client=cara.pk, therapist=tess.pk, starts=("2030-06-03", "09:00")))
    assert response.status_code == 302, response.content.decode()[:3000]
    appointment = Appointment.objects.get()
    assert appointment.starts_at == datetime.datetime(2030, 6, 3, 8, 0, tzinfo=datetime.UTC)  # 09:00 BST
    assert appointment.booked_by == tess and emails_of(appointment).count() == 1
    clash = client.post(add, admin_form(client=cara.pk, therapist=tess.pk, starts=("2030-06-03", "09:30")))
    assert clash.status_code == 200
    refusal = "The therapist already has an appointment on Monday 03 June 2030 from 09:00 to 09:50"
    assert refusal in clash.content.decode()
    assert Appointment.objects.count() == 1


def test_moving_in_the_admin_sends_an_update_and_the_buttons_cancel_and_record_the_outcome(
    client, tess, cara, reminders_ok
):
    reminders_ok(cara)
    appointment = book(cara, datetime.datetime(2030, 6, 3, 9, tzinfo=LONDON))
    client.force_login(tess)
    change = reverse("admin:clients_appointment_change", args=[appointment.pk])
    page = client.get(change).content.decode()
    assert 'value="03/06/2030"' in page and 'value="09:00:00"' in page and "Cancel the appointment" in page
    assert "Mark as completed" not in page  # not before it has happened
    response = client.post(
        change, admin_form(therapist=tess.pk, starts=("2030-06-04", "11:30"), note="Bring the diary")
    )
    assert response.status_code == 302
    appointment.refresh_from_db()
    assert appointment.local_start == datetime.datetime(2030, 6, 4, 11, 30, tzinfo=LONDON)
    assert appointment.sequence == 1 and appointment.note == "Bring the diary"
    assert emails_of(appointment).last().idempotency_key == f"appointment:{appointment.pk}:update:1"
    status = reverse("admin:clients_appointment_status", args=[appointment.pk, "cancel"])
    assert client.get(status).status_code == 405
    client.post(status)
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.CANCELLED
    history = client.get(reverse("admin:clients_appointment_history", args=[appointment.pk])).content.decode()
    assert "The appointment is cancelled." in history  # who and when, in the appointment's history
    refused = client.post(status, follow=True).content.decode()
    assert "Only a booked appointment can be cancelled" in refused
    page = client.get(change).content.decode()
    assert "Cancel the appointment" not in page and 'name="starts_at_0"' not in page  # read-only now


def test_the_list_shows_today_and_this_week_by_the_practice_calendar(client, tess, cara, make_client):
    other = make_client(tess, first_name="Dora")
    today = timezone.localdate(timezone.now(), LONDON)
    late_tonight = datetime.datetime.combine(today, datetime.time(23, 30), tzinfo=LONDON)
    next_month = datetime.datetime.combine(today + timedelta(days=35), datetime.time(9), tzinfo=LONDON)
    Appointment.objects.create(client=cara, therapist=tess, starts_at=late_tonight, duration_minutes=20)
    Appointment.objects.create(client=other, therapist=tess, starts_at=next_month)
    client.force_login(tess)
    changelist = reverse("admin:clients_appointment_changelist")
    todays = client.get(changelist, {"when": "today"}).content.decode()
    assert "Whitfield" in todays and "Dora" not in todays
    assert "23:30" in todays  # shown in London time
    weeks = client.get(changelist, {"when": "week"}).content.decode()
    assert "Whitfield" in weeks and "Dora" not in weeks
    upcoming = client.get(changelist, {"when": "upcoming"}).content.decode()
    assert "Dora" in upcoming
    assert client.get(changelist, {"starts_at__year": today.year}).status_code == 200  # the date hierarchy


def test_the_list_actions_cancel_and_mark_in_bulk_and_explain_refusals(client, tess, cara, make_client):
    past = book(cara, soon(days=-1))
    future = book(make_client(tess), soon())
    client.force_login(tess)
    changelist = reverse("admin:clients_appointment_changelist")
    response = client.post(
        changelist, {"action": "mark_completed", "_selected_action": [past.pk, future.pk]}, follow=True
    )
    text = response.content.decode()
    assert "1 appointment changed." in text and "once the appointment has started" in text
    client.post(changelist, {"action": "cancel_selected", "_selected_action": [future.pk]})
    statuses = dict(Appointment.objects.values_list("pk", "status"))
    assert statuses == {past.pk: AppointmentStatus.COMPLETED, future.pk: AppointmentStatus.CANCELLED}


def test_the_front_page_counts_today_this_week_and_outcomes_to_record_within_scope(client, tess, uma, cara, fiona):
    from clients.admin_appointments import appointments_panel

    now = timezone.now()
    book(cara, now - timedelta(days=1))  # past, still "booked": its outcome is to record
    cancelled = book(cara, now - timedelta(days=2))
    appointments.appointment_cancel(appointment=cancelled)
    book(fiona, now - timedelta(days=1))
    client.force_login(uma)
    page = client.get(reverse("admin:index")).content.decode()
    assert "?when=to_record" in page
    request = client.get(reverse("admin:index")).wsgi_request
    counts = {label: count for label, count, _url in appointments_panel(request)["items"]}
    assert counts["Outcome to record"] == 1  # Fiona's only: Cara is Tess's
    client.force_login(tess)
    request = client.get(reverse("admin:index")).wsgi_request
    counts = {label: count for label, count, _url in appointments_panel(request)["items"]}
    assert counts["Outcome to record"] == 2  # the cancelled one needs nothing
    listing = client.get(reverse("admin:clients_appointment_changelist"), {"when": "to_record"}).content.decode()
    assert "Whitfield" in listing and "Lund" in listing
