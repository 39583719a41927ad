"""Use cases for appointments: book, change or move, cancel, record the outcome; reminders and
questionnaire plans by beat.

Conflicts are refused under a lock on the therapist's row (and, on PostgreSQL, by an exclusion
constraint), so two bookings racing for one slot cannot both win. Every email is queued in the
transaction that causes it, with an idempotency key, so it is recorded exactly when its change is.
A reminder slot is claimed by moving ``next_reminder_at`` on a locked row: a second beat, a retried
task or a concurrent worker finds it taken.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, NamedTuple

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import DateTimeField, DurationField, Exists, F, Func, OuterRef, Q, Value
from django.utils import timezone
from django.utils.translation import gettext as _

from clients import app_settings, emails, wallclock
from clients.models import (
    PLAN_HOURS_MAX,
    Appointment,
    AppointmentKind,
    AppointmentStatus,
    Client,
    ClientStatus,
    PlannedAssignment,
    PlanTiming,
    QuestionnairePlan,
)
from practice.mail.models import EmailStatus, OutboundEmail

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

#: The name of the PostgreSQL exclusion constraint that backs the overlap check (migration 0004).
NO_OVERLAP_CONSTRAINT = "appointment_therapist_no_overlap"
#: Fields the client sees (emails, calendar): changing one sends an update and raises the SEQUENCE.
CLIENT_VISIBLE = ("starts_at", "duration_minutes", "kind", "location", "meeting_url", "therapist")
CHANGEABLE = (*CLIENT_VISIBLE, "note")
#: How long after its moment an after-appointment questionnaire may still go (after a long outage).
AFTER_PLAN_LATE_LIMIT = timedelta(days=2)
OUR_PERSONALISERS = (emails.APPOINTMENT_PERSONALISER, emails.APPOINTMENT_REMINDER_PERSONALISER)


def _now(now: datetime | None) -> datetime:
    return now or timezone.now()


def may_email(appointment: Appointment) -> bool:
    """Whether the client may be emailed about their appointments now."""
    client = appointment.client
    return bool(client.email) and client.consent_appointment_reminders and client.status != ClientStatus.DISCHARGED


# --- Reminder slots -------------------------------------------------------------------------------------------


class Slot(NamedTuple):
    due: datetime
    minutes_before: int


def reminder_slots(starts_at: datetime) -> list[Slot]:
    """The reminder slots of an appointment starting at ``starts_at``, earliest first (from settings).

    "24 hours before" is 24 real hours before the start instant, so the arithmetic is in UTC: on a local
    clock it would be 23 or 25 hours across a clock change.
    """
    start = starts_at.astimezone(UTC)
    return [
        Slot(start - offset, int(offset.total_seconds() // 60))
        for offset in app_settings.appointment_reminder_offsets()
    ]


def _arm(appointment: Appointment, now: datetime) -> None:
    """Point ``next_reminder_at`` at the first slot still to come; slots already past are covered by the email
    that booked or moved the appointment, so the client is not reminded straight after being told."""
    upcoming = [slot.due for slot in reminder_slots(appointment.starts_at) if slot.due > now]
    booked = appointment.status == AppointmentStatus.BOOKED and appointment.starts_at > now
    appointment.next_reminder_at = min(upcoming) if upcoming and booked else None


# --- Booking, changing, cancelling -----------------------------------------------------------------------------


def instant(starts_at: datetime) -> datetime:
    """A start as the instant it names, in UTC: an aware time that exists and happens once where it is read.

    A local time in the spring gap or the autumn overlap is refused, saying why and what to pick instead;
    the admin and the API resolve those with the person before calling the services.
    """
    if not isinstance(starts_at, datetime) or timezone.is_naive(starts_at):
        raise ValidationError({"starts_at": [_("The start needs a time zone.")]}, code="naive")
    return wallclock.checked_instant(starts_at)


def _lock_diaries(appointment: Appointment) -> None:
    """Serialise bookings per therapist and per client, always in that order (a no-op on SQLite, whose
    write transactions are serial anyway)."""
    if appointment.therapist_id is not None:
        users = get_user_model()._default_manager.select_for_update()
        list(users.filter(pk=appointment.therapist_id).values_list("pk"))
    if appointment.client_id is not None:
        list(Client.objects.select_for_update().filter(pk=appointment.client_id).values_list("pk"))


def _save_guarded(appointment: Appointment, **kwargs: Any) -> None:
    """Save; the database's own guards become clear messages, never a constraint's name: the overlap guard
    (PostgreSQL) the same as the check's, a check constraint its own ``violation_error_message``."""
    try:
        with transaction.atomic():
            appointment.save(**kwargs)
    except IntegrityError as exc:
        if NO_OVERLAP_CONSTRAINT in str(exc):
            raise ValidationError(
                {"starts_at": [_("The therapist already has an appointment at that time.")]}, code="conflict"
            ) from exc
        for constraint in Appointment._meta.constraints:
            if constraint.name in str(exc):
                raise ValidationError(constraint.get_violation_error_message(), code="invalid") from exc
        raise


def _supersede_pending(appointment: Appointment) -> int:
    """Withdraw this appointment's emails still waiting in the outbox: a newer message replaces them."""
    return OutboundEmail.objects.filter(
        personaliser__in=OUR_PERSONALISERS,
        personalise_id=appointment.pk,
        status__in=[EmailStatus.PENDING, EmailStatus.DEFERRED],
    ).update(status=EmailStatus.CANCELLED, last_error="Replaced: the appointment changed before this was sent.")


def _locked(appointment: Appointment) -> Appointment:
    return (
        Appointment.objects.select_for_update(of=("self",))
        .select_related("client__practice", "therapist")
        .get(pk=appointment.pk)
    )


@transaction.atomic
def appointment_book(
    *,
    client: Client,
    therapist: AbstractBaseUser,
    starts_at: datetime,
    duration_minutes: int = 50,
    kind: str = AppointmentKind.IN_PERSON,
    location: str = "",
    meeting_url: str = "",
    note: str = "",
    booked_by: AbstractBaseUser | None = None,
    now: datetime | None = None,
) -> Appointment:
    """Book a session; a clash with the therapist's or client's other appointments is a ``ValidationError``.

    A future appointment sends the client a confirmation with a calendar invitation (with their consent)
    and arms its reminders. A past one is recorded quietly, for the history.
    """
    now = _now(now)
    appointment = Appointment(
        client=client,
        therapist=therapist,
        starts_at=starts_at,
        duration_minutes=duration_minutes,
        kind=kind,
        location=location,
        meeting_url=meeting_url,
        note=note,
        booked_by=booked_by,
    )
    appointment.starts_at = instant(starts_at)
    _lock_diaries(appointment)
    appointment.full_clean()
    _arm(appointment, now)
    _save_guarded(appointment)
    if appointment.starts_at > now and may_email(appointment):
        emails.appointment_confirmation(appointment)
    return appointment


@transaction.atomic
def appointment_change(*, appointment: Appointment, now: datetime | None = None, **changes: Any) -> Appointment:
    """Change a booked appointment's time, length, therapist, kind, place or note.

    A change the client sees raises the calendar SEQUENCE and sends an update (with consent, if the
    appointment is still ahead); a new time re-arms the reminders. Emails about the old version that
    are still waiting are withdrawn. A note alone changes nothing else.
    """
    now = _now(now)
    unknown = set(changes) - set(CHANGEABLE)
    if unknown:
        raise TypeError(f"appointment_change() cannot change {', '.join(sorted(unknown))}")
    if "starts_at" in changes:
        changes["starts_at"] = instant(changes["starts_at"])
    locked = _locked(appointment)
    changed = set()
    for name, value in changes.items():
        current = locked.therapist if name == "therapist" else getattr(locked, name)
        if value != current:
            setattr(locked, name, value)
            changed.add(name)
    if not changed:
        return locked
    visible = changed & set(CLIENT_VISIBLE)
    if visible and locked.status != AppointmentStatus.BOOKED:
        raise ValidationError(_("Only a booked appointment can be changed; book a new one instead."))
    if visible:
        _lock_diaries(locked)
        locked.full_clean()
        locked.sequence += 1
        if changed & {"starts_at", "duration_minutes"}:
            _arm(locked, now)
        _supersede_pending(locked)
    _save_guarded(locked)
    if visible and locked.starts_at > now and may_email(locked):
        emails.appointment_update(locked)
    _refresh(appointment, locked)
    return locked


def appointment_move(
    *, appointment: Appointment, starts_at: datetime, duration_minutes: int | None = None, now: datetime | None = None
) -> Appointment:
    """Move an appointment to a new start (and length): the client gets an update, reminders re-arm."""
    changes: dict[str, Any] = {"starts_at": starts_at}
    if duration_minutes is not None:
        changes["duration_minutes"] = duration_minutes
    return appointment_change(appointment=appointment, now=now, **changes)


@transaction.atomic
def appointment_cancel(*, appointment: Appointment, now: datetime | None = None) -> Appointment:
    """Cancel a booked appointment: its time is free again, no reminder goes, and a client who had heard
    of it gets a cancellation that removes it from their calendar."""
    now = _now(now)
    locked = _locked(appointment)
    if locked.status != AppointmentStatus.BOOKED:
        raise ValidationError(_("Only a booked appointment can be cancelled."))
    told = OutboundEmail.objects.filter(
        personaliser=emails.APPOINTMENT_PERSONALISER,
        personalise_id=locked.pk,
        status__in=[EmailStatus.SENT, EmailStatus.SENDING, EmailStatus.FAILED],
    ).exists()
    locked.status, locked.cancelled_at, locked.next_reminder_at = AppointmentStatus.CANCELLED, now, None
    locked.sequence += 1
    locked.save(update_fields=["status", "cancelled_at", "next_reminder_at", "sequence", "updated_at"])
    _supersede_pending(locked)
    if told and locked.starts_at > now and may_email(locked):
        emails.appointment_cancellation(locked)
    _refresh(appointment, locked)
    return locked


@transaction.atomic
def appointment_outcome_set(*, appointment: Appointment, status: str, now: datetime | None = None) -> Appointment:
    """Record that a session took place or that the client did not come (correctable between the two)."""
    now = _now(now)
    status = AppointmentStatus(status)
    if status not in (AppointmentStatus.COMPLETED, AppointmentStatus.NO_SHOW):
        raise ValueError(f"{status} is not an outcome")
    locked = _locked(appointment)
    if locked.status == AppointmentStatus.CANCELLED:
        raise ValidationError(_("A cancelled appointment has no outcome."))
    if locked.starts_at > now:
        raise ValidationError(_("The outcome can be recorded once the appointment has started."))
    if locked.status != status:
        locked.status, locked.next_reminder_at = status, None
        locked.save(update_fields=["status", "next_reminder_at", "updated_at"])
    _refresh(appointment, locked)
    return locked


def appointment_mark_completed(*, appointment: Appointment, now: datetime | None = None) -> Appointment:
    return appointment_outcome_set(appointment=appointment, status=AppointmentStatus.COMPLETED, now=now)


def appointment_mark_no_show(*, appointment: Appointment, now: datetime | None = None) -> Appointment:
    return appointment_outcome_set(appointment=appointment, status=AppointmentStatus.NO_SHOW, now=now)


def _refresh(target: Appointment, source: Appointment) -> None:
    """Bring the caller's instance in step with the saved row."""
    if target is not source:
        for field in Appointment._meta.concrete_fields:
            setattr(target, field.attname, getattr(source, field.attname))


# --- Send-time guards (outbox personalisers) -------------------------------------------------------------------


def appointment_email_wanted(appointment_id: int) -> dict[str, str] | None:
    """Whether a confirmation, change or cancellation should still go (the client may still be emailed), and
    the client's stop token to fill in."""
    appointment = Appointment.objects.select_related("client").filter(pk=appointment_id).first()
    return emails.stop_tokens(appointment.client_id) if appointment is not None and may_email(appointment) else None


def appointment_reminder_wanted(appointment_id: int) -> dict[str, str] | None:
    """A reminder goes only for a booked appointment that has not started: never late past the start."""
    appointment = Appointment.objects.select_related("client").filter(pk=appointment_id).first()
    if appointment is None or appointment.status != AppointmentStatus.BOOKED:
        return None
    if appointment.starts_at > timezone.now() and may_email(appointment):
        return emails.stop_tokens(appointment.client_id)
    return None


# --- The beat: reminders -------------------------------------------------------------------------------------


def reminder_send(*, appointment_id: int, now: datetime | None = None) -> int | None:
    """Send the latest due reminder slot of one appointment, once; returns its minutes before the start, or None.

    Slots passed over while nothing ran count as used: the client gets one reminder, not a burst, and
    only while the appointment is still ahead.
    """
    now = _now(now)
    with transaction.atomic():
        appointment = (
            Appointment.objects.select_for_update(of=("self",))
            .select_related("client__practice", "therapist")
            .due_for_reminder(now)
            .filter(pk=appointment_id)
            .first()
        )
        if appointment is None:
            return None
        slots = reminder_slots(appointment.starts_at)
        due = [slot for slot in slots if slot.due <= now]
        upcoming = [slot.due for slot in slots if slot.due > now]
        appointment.next_reminder_at = min(upcoming) if upcoming else None
        if not due or not may_email(appointment):
            appointment.save(update_fields=["next_reminder_at"])
            return None
        slot = due[-1]
        appointment.reminders_sent += 1
        appointment.save(update_fields=["next_reminder_at", "reminders_sent"])
        emails.appointment_reminder(appointment, slot.minutes_before)
        return slot.minutes_before


# --- The beat: questionnaires tied to sessions -----------------------------------------------------------------


def plan_candidates(plan: QuestionnairePlan, now: datetime):
    """The client's appointments whose questionnaire moment under ``plan`` has come and is undecided.

    Only moments after the plan was made count (an appointment booked later counts too): a new plan does
    not reach back. A before-questionnaire goes late only while the appointment is still ahead.
    """
    hours = timedelta(hours=plan.hours)
    appointments = Appointment.objects.filter(client_id=plan.client_id).exclude(planned_assignments__plan=plan)
    if plan.timing == PlanTiming.AFTER_EACH:
        return appointments.filter(
            status__in=[AppointmentStatus.BOOKED, AppointmentStatus.COMPLETED],
            ends_at__lte=now - hours,
            ends_at__gt=now - hours - AFTER_PLAN_LATE_LIMIT,
            ends_at__gte=plan.created_at - hours,
        ).order_by("starts_at", "pk")
    return (
        appointments.filter(status=AppointmentStatus.BOOKED, starts_at__gt=now, starts_at__lte=now + hours)
        .filter(Q(created_at__gte=plan.created_at) | Q(starts_at__gte=plan.created_at + hours))
        .order_by("starts_at", "pk")
    )


def plan_apply(*, plan_id: int, appointment_id: int, now: datetime | None = None) -> PlannedAssignment | None:
    """Decide once what ``plan`` does for one appointment: assign the questionnaire, or skip and say why."""
    from assessments.assignments import AssignmentError, assignment_create

    now = _now(now)
    with transaction.atomic():
        plan = (
            QuestionnairePlan.objects.select_for_update(of=("self",))
            .select_related("client", "instrument", "created_by")
            .filter(pk=plan_id, active=True)
            .first()
        )
        if plan is None:
            return None
        if plan.client.status == ClientStatus.DISCHARGED:
            plan.active = False
            plan.save(update_fields=["active"])
            return None
        appointment = plan_candidates(plan, now).filter(pk=appointment_id).first()
        if appointment is None:
            return None  # decided by a concurrent beat, or no longer due
        decision = PlannedAssignment(plan=plan, appointment=appointment)
        if plan.timing == PlanTiming.BEFORE_EVERY_OTHER:
            previous = (
                plan.decisions.filter(appointment__starts_at__lt=appointment.starts_at)
                .order_by("-appointment__starts_at", "-pk")
                .first()
            )
            if previous is not None and not previous.skipped:
                decision.skipped, decision.reason = True, _("Every other appointment: this one is skipped.")
        version = plan.instrument.published_version
        if not decision.skipped and version is None:
            decision.skipped, decision.reason = True, _("The questionnaire has no published version.")
        if not decision.skipped:
            try:
                with transaction.atomic():
                    decision.assignment = assignment_create(
                        version=version,
                        respondent=plan.client,
                        expires_in_days=plan.expires_in_days,
                        message=plan.message,
                        assigned_by=plan.created_by,
                        release_scores=plan.release_scores,
                        send_at=now,
                    )
            except AssignmentError as exc:
                decision.skipped, decision.reason = True, str(exc)[:200]
        decision.save()
        return decision


@dataclass
class TickReport:
    reminded: int = 0
    assigned: int = 0
    skipped: int = 0


class Hours(Func):
    """A whole number of hours (a column) as a duration, in each database's own form of one: Django's duration
    arithmetic has no integer-times-duration, and the beat needs every plan's own hours in one query."""

    output_field = DurationField()

    def as_sql(self, compiler, connection, **extra_context):  # SQLite (and others): durations are microseconds
        return super().as_sql(compiler, connection, template="(%(expressions)s * 3600000000)", **extra_context)

    def as_postgresql(self, compiler, connection, **extra_context):
        return super().as_sql(compiler, connection, template="make_interval(hours => %(expressions)s)", **extra_context)


def due_plan_moments(now: datetime) -> list[tuple[int, int]]:
    """(plan, appointment) pairs whose questionnaire moment has come and is undecided (``due_plan_pairs``)."""
    return list(due_plan_pairs(now))


def due_plan_pairs(now: datetime):
    """(plan, appointment) pairs whose questionnaire moment has come and is undecided, for every active plan at
    once: one query, so a quiet beat costs the same however many plans and appointments there are.

    The same conditions as ``plan_candidates`` (which ``plan_apply`` checks again under its lock), with each
    plan's hours as a real duration in the database. Each arm is also bounded by constants for the widest
    plan (``PLAN_HOURS_MAX``), so the database reads appointments near now through an index, not them all.
    """
    hours = Hours("hours")
    widest = timedelta(hours=PLAN_HOURS_MAX)
    appointment = "client__appointments__"
    undecided = ~Exists(
        PlannedAssignment.objects.filter(plan_id=OuterRef("pk"), appointment_id=OuterRef(f"{appointment}pk"))
    )
    before = Q(
        Q(**{f"{appointment}created_at__gte": F("created_at")})
        | Q(**{f"{appointment}starts_at__gte": F("created_at") + hours}),
        ~Q(timing=PlanTiming.AFTER_EACH),
        **{
            f"{appointment}status": AppointmentStatus.BOOKED,
            f"{appointment}starts_at__gt": now,
            f"{appointment}starts_at__lte": Value(now, output_field=DateTimeField()) + hours,
            # The same bound for the widest plan, a constant: the index on starts_at finds the window.
            f"{appointment}starts_at__range": (now, now + widest),
        },
    )
    after = Q(
        timing=PlanTiming.AFTER_EACH,
        **{
            f"{appointment}status__in": [AppointmentStatus.BOOKED, AppointmentStatus.COMPLETED],
            f"{appointment}ends_at__lte": Value(now, output_field=DateTimeField()) - hours,
            f"{appointment}ends_at__gt": Value(now - AFTER_PLAN_LATE_LIMIT, output_field=DateTimeField()) - hours,
            f"{appointment}ends_at__gte": F("created_at") - hours,
            f"{appointment}ends_at__range": (now - widest - AFTER_PLAN_LATE_LIMIT, now),  # as above, on ends_at
        },
    )
    pairs = (
        QuestionnairePlan.objects.active()
        .filter(before | after, undecided)  # one filter(): the same join of appointments for every condition
        .order_by(f"{appointment}starts_at", f"{appointment}pk", "pk")
        .values_list("pk", f"{appointment}pk")
    )
    return pairs


def appointments_tick(*, now: datetime | None = None) -> TickReport:
    """One beat: due reminders, then due questionnaires of every active plan. Safe to run twice at once.

    Both are found through indexed columns (``next_reminder_at``; the client's appointments by time), so a
    quiet beat is two queries whatever is stored.
    """
    now = _now(now)
    report = TickReport()
    for appointment_id in Appointment.objects.due_for_reminder(now).values_list("pk", flat=True):
        report.reminded += reminder_send(appointment_id=appointment_id, now=now) is not None
    for plan_id, appointment_id in due_plan_moments(now):
        decision = plan_apply(plan_id=plan_id, appointment_id=appointment_id, now=now)
        if decision is not None:
            report.assigned += not decision.skipped
            report.skipped += decision.skipped
    return report
