"""The life of an assignment: assign, invite, open, answer page by page, submit, remind, expire, repeat.

Every state change is a conditional write on a locked row, so a retried task, a second beat or a
double click changes nothing twice. Mail goes through the host's hooks (``assessments.hooks``),
called inside the transaction that records it, so a message is recorded exactly when its state
change is: with an outbox as the host's mailer, neither is lost and neither happens twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Case, F, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from assessments import app_settings, document, links
from assessments.hooks import get_hooks
from assessments.models import (
    AWAITING_ANSWERS,
    OPEN_STATUSES,
    Assignment,
    AssignmentSchedule,
    AssignmentStatus,
    Instrument,
    InstrumentStatus,
    InstrumentVersion,
    Response,
)
from assessments.scoring import ScoringError
from assessments.services import published_form

MAX_MESSAGE_LENGTH = 1000
EXPIRY_DAYS = (1, 60)


class AssignmentError(ValueError):
    """An assignment that cannot be made or changed; the message says why, in words for people."""


class AssignmentClosed(AssignmentError):
    """The assignment is finished, cancelled or expired: it takes no more answers."""


class AnswerError(AssignmentError):
    """An answer that does not fit its question; ``key`` names the question."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(message)
        self.key = key


class Incomplete(AssignmentError):
    """Required questions are unanswered; ``keys`` lists them in order."""

    def __init__(self, keys: list[str]) -> None:
        super().__init__(_("Please answer every required question before sending your answers."))
        self.keys = keys


def _now(now: datetime | None) -> datetime:
    return now or timezone.now()


def _check_message(message: str) -> str:
    message = (message or "").strip()
    if len(message) > MAX_MESSAGE_LENGTH or "\x00" in message:
        raise AssignmentError(_("The personal message can be at most 1,000 characters."))
    return message


def _check_expiry(days: object) -> int:
    if not isinstance(days, int) or isinstance(days, bool) or not EXPIRY_DAYS[0] <= days <= EXPIRY_DAYS[1]:
        raise AssignmentError(_("The link must last between 1 and 60 days."))
    return days


# --- Assigning -----------------------------------------------------------------------------------------------


@transaction.atomic
def assignment_create(
    *,
    version: InstrumentVersion,
    respondent: Any,
    expires_in_days: int = 14,
    message: str = "",
    assigned_by: Any = None,
    release_scores: bool = False,
    send_at: datetime | None = None,
    schedule: AssignmentSchedule | None = None,
    question_order_seed: int | None = None,
) -> Assignment:
    """Ask ``respondent`` to answer a published version; the invitation goes out at ``send_at`` (default now).

    ``question_order_seed`` shows each page's questions in another order (``document.shuffled``), the same
    every time this assignment is opened; answers and scores are keyed by item, so nothing else changes.
    """
    if version.status != InstrumentStatus.PUBLISHED:
        raise AssignmentError(_("Only a published questionnaire can be assigned."))
    expires_in_days = _check_expiry(expires_in_days)
    send_at = send_at or timezone.now()
    assignment = Assignment.objects.create(
        version=version,
        respondent=respondent,
        message=_check_message(message),
        assigned_by=assigned_by,
        release_scores=release_scores,
        send_at=send_at,
        expires_at=send_at + timedelta(days=expires_in_days),
        schedule=schedule,
        question_order_seed=question_order_seed,
    )
    if send_at <= timezone.now():
        _dispatch_after_commit(assignment.pk)
    return assignment


def _dispatch_after_commit(assignment_id: int) -> None:
    from assessments.tasks import send_invitation

    transaction.on_commit(lambda: send_invitation.delay(assignment_id))


@transaction.atomic
def assignment_dispatch(*, assignment_id: int, now: datetime | None = None) -> bool:
    """Send the invitation of a due, scheduled assignment; True if this call sent it.

    An assignment whose respondent may not be contacted stays unsent, with a note saying why.
    """
    now = _now(now)
    assignment = (
        Assignment.objects.select_for_update(of=("self",))
        .select_related("version", "respondent")
        .due_for_invitation(now)
        .filter(pk=assignment_id)
        .first()
    )
    if assignment is None:
        return False
    if assignment.expires_at <= now:
        _expire(assignment, now)
        return False
    hooks = get_hooks()
    if not hooks.may_contact(assignment.respondent):
        note = _("Not sent: the client may not be emailed about questionnaires.")
        if assignment.note != note:
            assignment.note = note
            assignment.save(update_fields=["note"])
        return False
    assignment.status, assignment.sent_at, assignment.note = AssignmentStatus.SENT, now, ""
    assignment.invitations_sent += 1
    assignment.next_reminder_at = next_reminder_time(assignment)
    assignment.save(update_fields=["status", "sent_at", "note", "invitations_sent", "next_reminder_at"])
    hooks.send_invitation(assignment)
    return True


@transaction.atomic
def assignment_resend(*, assignment: Assignment, now: datetime | None = None) -> Assignment:
    """A new invitation with a new link; every earlier link stops working. Answers so far are kept."""
    now = _now(now)
    locked = (
        Assignment.objects.select_for_update(of=("self",)).select_related("version", "respondent").get(pk=assignment.pk)
    )
    if locked.status not in OPEN_STATUSES or locked.expires_at <= now:
        raise AssignmentError(_("Only an unfinished questionnaire that has not expired can be sent again."))
    hooks = get_hooks()
    if not hooks.may_contact(locked.respondent):
        raise AssignmentError(_("This client may not be emailed about questionnaires."))
    links.links_revoke(assignment=locked)
    if locked.status == AssignmentStatus.SCHEDULED:
        locked.status = AssignmentStatus.SENT
    locked.sent_at, locked.note = now, ""
    locked.invitations_sent += 1
    locked.next_reminder_at = next_reminder_time(locked)
    locked.save(update_fields=["status", "sent_at", "note", "invitations_sent", "next_reminder_at"])
    hooks.send_invitation(locked)
    return locked


@transaction.atomic
def assignment_cancel(*, assignment: Assignment, now: datetime | None = None) -> Assignment:
    """Withdraw an unfinished assignment: its links stop working at once (and say so) and nothing more is sent."""
    locked = Assignment.objects.select_for_update().get(pk=assignment.pk)
    if locked.status not in OPEN_STATUSES:
        raise AssignmentError(_("Only an unfinished questionnaire can be cancelled."))
    locked.status, locked.cancelled_at, locked.next_reminder_at = AssignmentStatus.CANCELLED, _now(now), None
    locked.save(update_fields=["status", "cancelled_at", "next_reminder_at"])
    return locked


@transaction.atomic
def assignment_extend(*, assignment: Assignment, days: int, now: datetime | None = None) -> Assignment:
    """Give the client more time (1 to 60 days more); an expired, unfinished one reopens."""
    if not isinstance(days, int) or isinstance(days, bool) or not EXPIRY_DAYS[0] <= days <= EXPIRY_DAYS[1]:
        raise AssignmentError(_("Extend by between 1 and 60 days."))
    now = _now(now)
    locked = Assignment.objects.select_for_update().get(pk=assignment.pk)
    if locked.status in (AssignmentStatus.COMPLETED, AssignmentStatus.CANCELLED):
        raise AssignmentError(_("A completed or cancelled questionnaire cannot be extended."))
    locked.expires_at = max(locked.expires_at, now) + timedelta(days=days)
    if locked.status == AssignmentStatus.EXPIRED:
        locked.status = AssignmentStatus.SENT if locked.sent_at else AssignmentStatus.SCHEDULED
        locked.expired_at = None
    locked.next_reminder_at = next_reminder_time(locked)
    locked.save(update_fields=["expires_at", "status", "expired_at", "next_reminder_at"])
    return locked


# --- Answering -----------------------------------------------------------------------------------------------


def assignment_open(*, assignment: Assignment, now: datetime | None = None) -> None:
    """Record the first time the link was opened: the only thing a GET of the link changes."""
    if assignment.opened_at is not None:
        return
    now = _now(now)
    Assignment.objects.filter(pk=assignment.pk, opened_at__isnull=True).update(
        opened_at=now,
        status=Case(When(status=AssignmentStatus.SENT, then=Value(AssignmentStatus.OPENED)), default=F("status")),
    )
    assignment.opened_at = now
    if assignment.status == AssignmentStatus.SENT:
        assignment.status = AssignmentStatus.OPENED


def _locked_open(assignment: Assignment, now: datetime) -> Assignment:
    locked = Assignment.objects.select_for_update().get(pk=assignment.pk)
    if locked.status not in OPEN_STATUSES or locked.expires_at <= now:
        raise AssignmentClosed(_("This questionnaire can no longer be answered."))
    return locked


@transaction.atomic
def assignment_save_answers(
    *, assignment: Assignment, answers: dict[str, object], page: int = 0, now: datetime | None = None
) -> dict[str, object]:
    """Merge one page's answers into the answers so far; an empty answer clears that question.

    Answers are checked against the version first (``AnswerError`` names the first bad one), so a
    bad page changes nothing. Returns the answers so far.
    """
    now = _now(now)
    doc = published_form(assignment.version).document
    try:
        document.answers_to_values(doc, answers)
    except ScoringError as exc:
        raise AnswerError(exc.item_key, str(exc)) from exc
    locked = _locked_open(assignment, now)
    draft = dict(locked.draft_answers)
    for key, value in answers.items():
        if value in (None, "", []):
            draft.pop(key, None)
        else:
            draft[key] = value
    locked.draft_answers = draft
    locked.status = AssignmentStatus.IN_PROGRESS
    locked.started_at = locked.started_at or now
    locked.last_page = max(0, min(int(page), 32767))
    locked.save(update_fields=["draft_answers", "status", "started_at", "last_page"])
    assignment.draft_answers, assignment.status = draft, locked.status
    assignment.started_at, assignment.last_page = locked.started_at, locked.last_page
    return draft


def missing_answers(doc: dict[str, Any], answers: dict[str, object], keys: list[str] | None = None) -> list[str]:
    """Required questions that are shown for these answers but unanswered (among ``keys``, if given)."""
    shown = document.enabled_keys(doc, answers)
    wanted = None if keys is None else set(keys)
    return [
        item["key"]
        for item in doc["items"]
        if item["required"]
        and item["key"] in shown
        and (wanted is None or item["key"] in wanted)
        and answers.get(item["key"]) in (None, "", [])
    ]


@transaction.atomic
def assignment_submit(*, assignment: Assignment, now: datetime | None = None) -> Response:
    """Store, score and flag the answers so far as the response; only the first submission counts.

    A second submit raises ``AssignmentClosed`` and changes nothing; unanswered required questions
    raise ``Incomplete``.
    """
    now = _now(now)
    locked = _locked_open(assignment, now)
    doc = published_form(assignment.version).document
    shown = document.enabled_keys(doc, locked.draft_answers)
    answers = {key: value for key, value in locked.draft_answers.items() if key in shown}
    missing = missing_answers(doc, answers)
    if missing:
        raise Incomplete(missing)
    result = document.result_as_json(document.score_document(doc, answers))
    response = Response.objects.create(
        version_id=locked.version_id,
        respondent_id=locked.respondent_id,
        answers=answers,
        scores=result,
        flagged=bool(result["risk_flags"]),
        started_at=locked.started_at or now,
        completed_at=now,
    )
    locked.status, locked.completed_at, locked.response, locked.draft_answers = (
        AssignmentStatus.COMPLETED,
        now,
        response,
        {},
    )
    locked.next_reminder_at = None
    locked.save(update_fields=["status", "completed_at", "response", "draft_answers", "next_reminder_at"])
    get_hooks().assignment_completed(locked)
    assignment.status, assignment.completed_at, assignment.response = locked.status, now, response
    return response


# --- The beat: invitations due, reminders, expiry, repeating questionnaires -------------------------------------


def reminder_times(assignment: Assignment, policy: dict | None = None) -> list[datetime]:
    """When this assignment's reminders fall due, in order: at most ``max``, each between sending and expiry."""
    policy = policy or app_settings.reminder_policy()
    if assignment.sent_at is None:
        return []
    times = [assignment.sent_at + timedelta(days=days) for days in policy["after_sent_days"]]
    times += [assignment.expires_at - timedelta(days=days) for days in policy["before_expiry_days"]]
    return sorted(time for time in times if assignment.sent_at < time < assignment.expires_at)[: policy["max"]]


def next_reminder_time(assignment: Assignment, policy: dict | None = None) -> datetime | None:
    """When the next unused reminder slot falls due, or None: what ``next_reminder_at`` keeps.

    The services that change what reminders depend on (sending, sending again, extending, a reminder
    going, finishing, cancelling, expiring) set it, so the beat finds due reminders by an index. After
    a change of ``ASSESSMENTS_REMINDERS``, ``reminders_reschedule`` sets it anew for open assignments.
    """
    if assignment.status not in AWAITING_ANSWERS:
        return None
    remaining = reminder_times(assignment, policy)[assignment.reminders_sent :]
    return remaining[0] if remaining else None


def reminders_reschedule(*, policy: dict | None = None) -> int:
    """Recompute ``next_reminder_at`` of every assignment awaiting answers (after the policy changed)."""
    policy = policy or app_settings.reminder_policy()
    changed = 0
    for assignment in Assignment.objects.filter(status__in=AWAITING_ANSWERS).iterator(chunk_size=2000):
        when = next_reminder_time(assignment, policy)
        if when != assignment.next_reminder_at:
            Assignment.objects.filter(pk=assignment.pk).update(next_reminder_at=when)
            changed += 1
    return changed


def reminder_send(*, assignment_id: int, now: datetime | None = None) -> int | None:
    """Send the latest due reminder of one assignment, once; returns its number or None.

    The slot is claimed by a conditional update of ``reminders_sent``, so a second beat, a retried
    task or a concurrent worker finds it taken. Slots missed while nothing ran are passed over:
    the client gets one reminder, not a burst.
    """
    now = _now(now)
    policy = app_settings.reminder_policy()
    with transaction.atomic():
        assignment = (
            Assignment.objects.select_for_update(of=("self",))
            .select_related("version", "respondent")
            .awaiting_answers(now)
            .filter(pk=assignment_id)
            .first()
        )
        if assignment is None:
            return None
        due = [index for index, time in enumerate(reminder_times(assignment, policy)) if time <= now]
        if not due or due[-1] < assignment.reminders_sent:
            upcoming = next_reminder_time(assignment, policy)  # found by a stale time: put it right
            if upcoming != assignment.next_reminder_at:
                assignment.next_reminder_at = upcoming
                assignment.save(update_fields=["next_reminder_at"])
            return None
        slot = due[-1]
        hooks = get_hooks()
        contact = hooks.may_contact(assignment.respondent)
        assignment.reminders_sent = slot + 1
        if contact:
            assignment.reminders_emailed += 1
        assignment.next_reminder_at = next_reminder_time(assignment, policy)
        assignment.save(update_fields=["reminders_sent", "reminders_emailed", "next_reminder_at"])
        if not contact:
            return None
        hooks.send_reminder(assignment, slot + 1)
        return slot + 1


def _expire(assignment: Assignment, now: datetime) -> None:
    Assignment.objects.open().filter(pk=assignment.pk).update(
        status=AssignmentStatus.EXPIRED, expired_at=now, next_reminder_at=None
    )
    assignment.status, assignment.expired_at, assignment.next_reminder_at = AssignmentStatus.EXPIRED, now, None


def assignments_expire(*, now: datetime | None = None) -> int:
    """Every open assignment past its expiry becomes expired; its links then say so."""
    now = _now(now)
    return Assignment.objects.due_for_expiry(now).update(
        status=AssignmentStatus.EXPIRED, expired_at=now, next_reminder_at=None
    )


def schedule_create(
    *,
    instrument: Instrument,
    respondent: Any,
    every_weeks: int,
    max_occurrences: int,
    expires_in_days: int = 14,
    message: str = "",
    release_scores: bool = False,
    assigned_by: Any = None,
    now: datetime | None = None,
) -> AssignmentSchedule:
    """Repeat a questionnaire every ``every_weeks`` weeks, at most ``max_occurrences`` times; the first goes now."""
    for value, label in ((every_weeks, _("weeks between")), (max_occurrences, _("number of times"))):
        if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 52:
            raise AssignmentError(_("The %(what)s must be between 1 and 52.") % {"what": label})
    _check_expiry(expires_in_days)
    if expires_in_days > every_weeks * 7:
        raise AssignmentError(
            _("Each link must expire before the next one is sent: at most %(days)s days.") % {"days": every_weeks * 7}
        )
    if instrument.published_version is None:
        raise AssignmentError(_("Only a published questionnaire can be assigned."))
    now = _now(now)
    with transaction.atomic():
        schedule = AssignmentSchedule.objects.create(
            instrument=instrument,
            respondent=respondent,
            every_weeks=every_weeks,
            max_occurrences=max_occurrences,
            expires_in_days=expires_in_days,
            message=_check_message(message),
            release_scores=release_scores,
            assigned_by=assigned_by,
            next_at=now,
        )
        schedule_advance(schedule_id=schedule.pk, now=now)
    schedule.refresh_from_db()
    return schedule


@transaction.atomic
def schedule_advance(*, schedule_id: int, now: datetime | None = None) -> Assignment | None:
    """Make the schedule's next occurrence if it is due; end the schedule when it has run its course."""
    now = _now(now)
    schedule = (
        AssignmentSchedule.objects.select_for_update(of=("self",))
        .select_related("respondent", "instrument")
        .due(now)
        .filter(pk=schedule_id)
        .first()
    )
    if schedule is None:
        return None
    version = schedule.instrument.published_version
    if not get_hooks().is_active(schedule.respondent):
        return _schedule_end(schedule, _("The client is no longer active."))
    if version is None:
        return _schedule_end(schedule, _("The questionnaire has no published version."))
    assignment = assignment_create(
        version=version,
        respondent=schedule.respondent,
        expires_in_days=schedule.expires_in_days,
        message=schedule.message,
        assigned_by=schedule.assigned_by,
        release_scores=schedule.release_scores,
        send_at=now,
        schedule=schedule,
    )
    schedule.occurrences += 1
    schedule.next_at = schedule.next_at + timedelta(weeks=schedule.every_weeks)
    while schedule.next_at <= now:  # the beat was down for longer than a whole interval
        schedule.next_at += timedelta(weeks=schedule.every_weeks)
    if schedule.occurrences >= schedule.max_occurrences:
        schedule.active, schedule.next_at = False, None
        schedule.ended_reason = _("All %(count)s were assigned.") % {"count": schedule.max_occurrences}
    schedule.save(update_fields=["occurrences", "next_at", "active", "ended_reason"])
    return assignment


def _schedule_end(schedule: AssignmentSchedule, reason: str) -> None:
    schedule.active, schedule.next_at, schedule.ended_reason = False, None, reason
    schedule.save(update_fields=["active", "next_at", "ended_reason"])


@transaction.atomic
def schedule_stop(*, schedule: AssignmentSchedule) -> AssignmentSchedule:
    """The therapist ends a repeating questionnaire; assignments already made stay as they are."""
    locked = AssignmentSchedule.objects.select_for_update().get(pk=schedule.pk)
    if locked.active:
        _schedule_end(locked, _("Stopped by the therapist."))
    return locked


@dataclass
class TickReport:
    scheduled: int = 0
    invited: int = 0
    reminded: int = 0
    expired: int = 0
    errors: list[str] = field(default_factory=list)


def assignments_tick(*, now: datetime | None = None) -> TickReport:
    """One beat: repeat schedules, send due invitations and reminders, expire what is past its time.

    Safe to run twice at once or twice in a row: every step claims its row before acting. Each step
    reads only rows due now, through an index (schedule_due_idx, assignment_due_idx,
    assignment_reminder_idx, assignment_expiry_idx): a quiet beat is four short queries, whether
    1,000 or 100,000 assignments are open.
    """
    now = _now(now)
    report = TickReport()
    report.expired = assignments_expire(now=now)
    for schedule_id in AssignmentSchedule.objects.due(now).order_by().values_list("pk", flat=True):
        report.scheduled += schedule_advance(schedule_id=schedule_id, now=now) is not None
    for assignment_id in Assignment.objects.due_for_invitation(now).order_by().values_list("pk", flat=True):
        report.invited += assignment_dispatch(assignment_id=assignment_id, now=now)
    for assignment_id in Assignment.objects.reminders_due(now).order_by().values_list("pk", flat=True):
        report.reminded += reminder_send(assignment_id=assignment_id, now=now) is not None
    return report
