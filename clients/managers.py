"""The read vocabulary for clients, shared by the admin, the API and tasks."""

from __future__ import annotations

from practice.managers import PracticeScopedQuerySet


class ClientQuerySet(PracticeScopedQuerySet):
    practice_path = "practice"
    therapist_path = "therapist"


class ConsentRecordQuerySet(PracticeScopedQuerySet):
    practice_path = "client__practice"
    therapist_path = "client__therapist"
