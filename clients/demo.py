"""The demo practice that `make run` loads: fictional people, known passwords, safe to reload."""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from practice.models import Membership, Practice, Role


@dataclass(frozen=True)
class DemoLogin:
    username: str
    password: str
    role: str


PRACTICE = {
    "name": "Harbour Light Hypnotherapy (demo)",
    "contact_email": "hello@harbourlight.example",
    "phone": "01632 960 123",
    "website": "https://harbourlight.example",
    "postal_address": "2 Quay Lane\nPortmere\nPM1 2AB",
    "time_zone": "Europe/London",
    "sender_name": "Harbour Light Hypnotherapy",
    "sender_email": "hello@harbourlight.example",
}

STAFF = [
    ("tess", "Tess", "Harper", Role.OWNER, "tandem-demo-tess"),
    ("uma", "Uma", "Okafor", Role.THERAPIST, "tandem-demo-uma"),
]

CLIENTS = [
    ("tess", "Cara", "Whitfield", "", "active"),
    ("tess", "Daniel", "Moss", "Dan", "active"),
    ("tess", "Priya", "Raman", "", "paused"),
    ("tess", "George", "Ellery", "", "discharged"),
    ("uma", "Fiona", "Lund", "Fi", "active"),
    ("uma", "Marcus", "Bell", "", "active"),
    ("uma", "Helena", "Sato", "", "active"),
]


@transaction.atomic
def demo_load() -> list[DemoLogin]:
    """Create or refresh the demo practice; running it twice changes nothing more."""
    from clients.couples.demo import demo_couple
    from clients.models import Channel, Client
    from clients.services import consent_set

    practice, _ = Practice.objects.update_or_create(name=PRACTICE["name"], defaults=PRACTICE)
    users = {}
    logins = []
    user_model = get_user_model()
    for username, first, last, role, password in STAFF:
        user, _ = user_model._default_manager.update_or_create(
            username=f"{username}@demo",
            defaults={
                "first_name": first,
                "last_name": last,
                "email": f"{username}@harbourlight.example",
                "is_staff": True,
                "is_active": True,
            },
        )
        user.set_password(password)
        user.save(update_fields=["password"])
        Membership.objects.update_or_create(practice=practice, user=user, defaults={"role": role})
        users[username] = user
        logins.append(DemoLogin(user.get_username(), password, Role(role).label))
    for therapist, first, last, preferred, status in CLIENTS:
        client, _ = Client.objects.update_or_create(
            practice=practice,
            email=f"{first}.{last}@mail.example".lower(),
            defaults={
                "therapist": users[therapist],
                "first_name": first,
                "last_name": last,
                "preferred_name": preferred,
                "status": status,
            },
        )
        if status == "active" and not client.consent_questionnaires:
            consent_set(
                client=client,
                channel=Channel.QUESTIONNAIRES,
                given=True,
                source="demo data",
                recorded_by=users[therapist],
            )
    _demo_history(Client.objects.get(practice=practice, first_name="Cara"))
    demo_couple(practice)
    _demo_diary(practice, users)
    return logins


#: Cara's answers to the bundled questionnaire over five months, drifting towards interdependence.
HISTORY_DRIFT = (2, 2, 3, 3, 4)


def _demo_history(cara) -> None:
    """Five answered questionnaires for Cara, once, so the trend chart and the review queue have something."""
    from assessments import services
    from assessments.models import Instrument, Response

    instrument = Instrument.objects.filter(slug="interdependence-in-relationships").first()
    version = instrument.published_version if instrument else None
    if version is None or Response.objects.filter(respondent=cara).exists():
        return
    document = services.published_form(version).document
    reverse = {item["key"] for item in document["items"] if item["reverse_keyed"]}
    questions = [item["key"] for item in document["items"] if item["type"] == "single_choice"]
    now = timezone.now()
    for step, level in enumerate(HISTORY_DRIFT):
        answers = {key: str(6 - level if key in reverse else level) for key in questions}
        answers[questions[step % len(questions)]] = "3"  # a little noise
        completed = now - timedelta(weeks=4 * (len(HISTORY_DRIFT) - step))
        scores = services.version_score(version, answers)
        Response.objects.create(
            version=version,
            respondent=cara,
            answers=answers,
            scores=scores,
            flagged=bool(scores["risk_flags"]),
            started_at=completed - timedelta(minutes=6),
            completed_at=completed,
        )


def _demo_diary(practice, users) -> None:
    """A few sessions in the coming week, once; the demo clients have not agreed to reminders, so none are sent."""
    from clients.appointments import appointment_book
    from clients.models import Appointment, Client

    if Appointment.objects.filter(client__practice=practice).exists():
        return
    zone = zoneinfo.ZoneInfo(practice.time_zone)
    today = timezone.localdate(timezone=zone)
    for days, hour, first_name, therapist in (
        (1, 10, "Cara", "tess"),
        (2, 14, "Daniel", "tess"),
        (3, 11, "Fiona", "uma"),
    ):
        starts = datetime.combine(today + timedelta(days=days), time(hour), tzinfo=zone)
        client = Client.objects.get(practice=practice, first_name=first_name)
        appointment_book(client=client, therapist=users[therapist], starts_at=starts, location="Room 2, 2 Quay Lane")
