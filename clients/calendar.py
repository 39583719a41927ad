"""Calendar invitations (RFC 5545/5546) for a client's appointments.

One UID per appointment, forever; SEQUENCE goes up with every change the client's calendar must
take, so a later invitation replaces an earlier one and a cancellation removes it. Times are in
the practice's zone with its VTIMEZONE, so the event shows at the same wall-clock time the email
names, whatever zone the client's calendar is in. Nothing clinical: who, when and where.
"""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING

import icalendar
from django.utils import timezone

from clients import wallclock
from practice.people import person_name

if TYPE_CHECKING:
    from clients.models import Appointment

PRODID = "-//Tandem//Appointments//EN"
REQUEST = "REQUEST"
CANCEL = "CANCEL"


def event_uid(appointment: Appointment) -> str:
    return f"{appointment.uid}@tandem.appointments"


def location_of(appointment: Appointment) -> str:
    """Where the client goes: the meeting link, the appointment's place or the practice's address."""
    from clients.models import AppointmentKind

    if appointment.kind == AppointmentKind.ONLINE:
        return appointment.meeting_url
    address = appointment.location or appointment.client.practice.postal_address
    return ", ".join(line.strip() for line in address.splitlines() if line.strip())


def therapist_name(appointment: Appointment) -> str:
    return person_name(appointment.therapist)


def invitation_times(appointment: Appointment) -> tuple[datetime.datetime, datetime.datetime]:
    """DTSTART and DTEND: local times with the practice's TZID, or both in UTC when either falls in the second
    pass of an hour the clocks repeat, because a calendar reads a repeated local time as its first pass
    (RFC 5545, 3.3.5) and would show it an hour early."""
    start, end = appointment.local_start, appointment.local_end
    zone = appointment.time_zone
    if wallclock.occurrence_of(start, zone) == "second" or wallclock.occurrence_of(end, zone) == "second":
        return start.astimezone(datetime.UTC), end.astimezone(datetime.UTC)
    return start, end


def appointment_calendar(
    appointment: Appointment, *, method: str = REQUEST, now: datetime.datetime | None = None
) -> icalendar.Calendar:
    """The invitation (``REQUEST``) or cancellation (``CANCEL``) of one appointment, as it stands now."""
    if method not in (REQUEST, CANCEL):
        raise ValueError(f"Unknown iTIP method {method!r}")
    client, practice = appointment.client, appointment.client.practice
    start, end = invitation_times(appointment)

    event = icalendar.Event()
    event.add("uid", event_uid(appointment))
    event.add("sequence", appointment.sequence)
    event.add("dtstamp", (now or timezone.now()).astimezone(datetime.UTC))
    event.add("dtstart", start)
    event.add("dtend", end)
    event.add("summary", f"Appointment with {therapist_name(appointment)} ({practice.name})")
    where = location_of(appointment)
    if where:
        event.add("location", where)
    if appointment.meeting_url:
        event.add("url", appointment.meeting_url)
    contact = " · ".join(value for value in (practice.contact_email, practice.phone) if value)
    event.add("description", f"To change or cancel, please contact {practice.name}: {contact}")
    event.add("organizer", f"mailto:{practice.sender_email}", parameters={"CN": practice.sender_name})
    event.add(
        "attendee",
        f"mailto:{client.email}",
        parameters={"CN": client.display_name, "ROLE": "REQ-PARTICIPANT", "PARTSTAT": "NEEDS-ACTION", "RSVP": "FALSE"},
    )
    event.add("status", "CANCELLED" if method == CANCEL else "CONFIRMED")
    event.add("transp", "OPAQUE")

    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", method)
    calendar.add_component(event)
    # Only the transitions around the appointment: a complete VTIMEZONE, a fraction of the size.
    calendar.add_missing_timezones(
        first_date=start.date() - datetime.timedelta(days=366), last_date=end.date() + datetime.timedelta(days=366)
    )
    return calendar


def appointment_ics(appointment: Appointment, *, method: str = REQUEST, now: datetime.datetime | None = None) -> str:
    return appointment_calendar(appointment, method=method, now=now).to_ical().decode()


def ics_attachment(appointment: Appointment, *, method: str = REQUEST) -> dict[str, str]:
    """The invitation as an outbox attachment; ``method`` in the MIME type lets mail clients offer it."""
    return {
        "filename": "cancel.ics" if method == CANCEL else "invite.ics",
        "mimetype": f"text/calendar; method={method}",
        "content": appointment_ics(appointment, method=method),
    }
