"""The demo practice that `make run` loads: fictional people, known passwords, safe to reload."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import transaction

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
    return logins
