"""schemathesis on the appointment and plan routes with ids that exist, so generated data reaches the use cases.

The run over every operation (``test_fuzz``) mostly meets 404s on these routes, as its ids are random.
Here each positive case is aimed at Uma's own client, appointment and plan (and the published
questionnaire), so it books, moves, cancels and records outcomes through the real services (emails and
calendar invitations included); negative data must be refused. Ten examples each keep it to seconds;
the seed and the checks are the full run's.
"""

from __future__ import annotations

from datetime import timedelta

import hypothesis
import pytest
from django.utils import timezone
from schemathesis import GenerationMode

from clients import appointments
from clients.models import Channel, QuestionnairePlan
from clients.services import consent_set
from tests.api.test_fuzz import CHECKS, SEED, api_schema, keep_connection, uma_couple  # noqa: F401  (fixtures)

EXAMPLES = 10


@pytest.fixture
def aims(world):
    """Uma's client (who agreed to appointment emails), one past and one future appointment of hers, a plan."""
    fiona = world["uma"].client
    consent_set(client=fiona, channel=Channel.APPOINTMENT_REMINDERS, given=True, source="test")
    now = timezone.now().replace(microsecond=0)
    past = appointments.appointment_book(client=fiona, therapist=fiona.therapist, starts_at=now - timedelta(days=1))
    future = appointments.appointment_book(client=fiona, therapist=fiona.therapist, starts_at=now + timedelta(days=2))
    plan = QuestionnairePlan.objects.create(client=fiona, instrument=world["uma"].assignment.version.instrument)
    return {"client": fiona.pk, "past": past.pk, "future": future.pk, "plan": plan.pk}


def fuzz(operation, mode: GenerationMode, target: int | None, client_id: int) -> None:
    """Run one operation's cases; positive ones aimed at ``target`` (a path id) and the caller's own client."""

    @hypothesis.seed(SEED)
    @hypothesis.settings(
        max_examples=EXAMPLES,
        database=None,
        deadline=None,
        suppress_health_check=list(hypothesis.HealthCheck),
        phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate],
        verbosity=hypothesis.Verbosity.quiet,
    )
    @hypothesis.given(case=operation.as_strategy(generation_mode=mode))
    def run(case) -> None:
        if mode is GenerationMode.POSITIVE:  # a negative case's path or body may be what makes it negative
            if target is not None:
                case.path_parameters = {**(case.path_parameters or {}), "id": str(target)}
            if isinstance(case.body, dict) and "client" in case.body:
                case.body["client"] = client_id
            if isinstance(case.body, dict) and "instrument" in case.body:
                case.body["instrument"] = "mood-check"
        case.call_and_validate(checks=CHECKS)

    run()


def test_appointment_routes_survive_fuzzing_against_real_rows(api_schema, aims):  # noqa: F811
    failures = []
    for result in api_schema.get_all_operations():
        operation = result.ok()
        if not operation.path.startswith(("/api/v1/appointments/", "/api/v1/questionnaire-plans/")):
            continue
        if "questionnaire-plans" in operation.path:
            targets = [aims["plan"]]
        elif operation.path.endswith("/cancel/"):
            targets = [aims["future"]]  # the past one stays booked for its outcome
        elif operation.path.endswith(("/completed/", "/no-show/")):
            targets = [aims["past"]]
        else:
            targets = [aims["future"], aims["past"]]
        for target in targets if "{id}" in operation.path else [None]:
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                try:
                    fuzz(operation, mode, target, aims["client"])
                except (Exception, BaseExceptionGroup) as exc:
                    failures.append(f"{operation.label} ({mode.value}, id {target}):\n{exc}")
    assert failures == [], "\n\n".join(failures)
