"""The admin's front page as a therapist's day: what is on, what waits, who has not been seen.

Each panel (``practice.dashboard``) keeps its counts, every one a link to its list, and adds the rows
behind them: today's and the rest of this week's sessions, responses to review (risk flags first,
with the band and the change since the client's previous response), links about to expire, and
clients not seen for a while. Owners also see the practice's figures and how its email is doing.
A panel costs a few queries whatever the practice holds: rows are capped, and previous responses
are found by one subquery.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib import admin
from django.db.models import Count, Max, OuterRef, Q, Subquery
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from assessments.models import Assignment, Response
from clients.admin_appointments import appointments_panel, calendar_bounds
from clients.assessment_hooks import review_panel
from clients.models import Appointment, AppointmentStatus, Client, ClientStatus
from practice.mail.models import EmailStatus, OutboundEmail
from practice.managers import is_owner
from practice.newsletter.models import Subscriber, SubscriberStatus

ROWS = 6
#: An active client with no session for this long, and none booked, is "not seen for a while".
NOT_SEEN_AFTER = timedelta(weeks=6)


def _row(text: str, url: str, detail: str = "", *, flag: str = "") -> dict[str, str]:
    return {"text": text, "url": url, "detail": detail, "flag": flag}


def _local(moment, fmt: str) -> str:
    return date_format(timezone.localtime(moment), fmt)


def _change_url(obj) -> str:
    return reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])


def day_panel(request: HttpRequest) -> dict[str, Any] | None:
    """Appointments: the counts, then today's sessions and the rest of the week's, in order."""
    panel = appointments_panel(request)
    if panel is None:
        return None
    now = timezone.now()
    bounds = calendar_bounds(request, now)
    sessions = (
        Appointment.objects.for_user(request.user)
        .exclude(status=AppointmentStatus.CANCELLED)
        .filter(starts_at__gte=bounds["today"][0], starts_at__lt=bounds["week"][1])
        .select_related("client")
        .order_by("starts_at")[:ROWS]
    )
    today_ends = bounds["today"][1]
    panel["rows"] = [
        _row(
            f"{_local(session.starts_at, 'H:i' if session.starts_at < today_ends else 'l H:i')} · {session.client}",
            _change_url(session),
            session.get_kind_display(),
        )
        for session in sessions
    ]
    panel["empty"] = gettext("No more sessions this week.")
    return panel


def _headline(scores: dict) -> tuple[str, dict] | None:
    """The scale a response is summed up by: its total, or else its last scale."""
    scales = scores.get("scales") or {}
    if not scales:
        return None
    key = "total" if "total" in scales else list(scales)[-1]
    return key, scales[key]


def _since_last_time(response: Response, previous: Response | None) -> str:
    headline = _headline(response.scores)
    if headline is None or headline[1].get("value") is None:
        return ""
    key, scale = headline
    text = f"{scale['label']} {scale['value']:g}"
    if scale.get("band"):
        text += f" ({scale['band']})"
    before = (previous.scores.get("scales", {}).get(key, {}) if previous else {}).get("value")
    if before is None:
        return text + " · " + gettext("first time")
    change = scale["value"] - before
    return text + " · " + gettext("%(change)s since last time") % {"change": f"{change:+g}" if change else "±0"}


def review_rows_panel(request: HttpRequest) -> dict[str, Any] | None:
    """Questionnaires: the counts, then the responses waiting for review, risk flags first."""
    panel = review_panel(request)
    if panel is None:
        return None
    earlier = Response.objects.filter(
        respondent_id=OuterRef("respondent_id"),
        version__instrument_id=OuterRef("version__instrument_id"),
        completed_at__lt=OuterRef("completed_at"),
    ).order_by("-completed_at")
    waiting = list(
        Response.objects.for_user(request.user)
        .needing_review()
        .select_related("version", "respondent")
        .defer("version__definition", "answers")
        .annotate(previous_id=Subquery(earlier.values("pk")[:1]))
        .order_by("-flagged", "completed_at")[:ROWS]
    )
    ids = [response.previous_id for response in waiting if response.previous_id]
    previous = Response.objects.only("scores").in_bulk(ids)
    panel["rows"] = [
        _row(
            f"{response.respondent} · {response.version.title}",
            _change_url(response),
            _since_last_time(response, previous.get(response.previous_id)),
            flag=gettext("Risk flag") if response.flagged else "",
        )
        for response in waiting
    ]
    expiring = (
        Assignment.objects.for_user(request.user)
        .expiring_within(timezone.now(), timedelta(days=2))
        .select_related("respondent", "version")
        .defer("version__definition")
        .order_by("expires_at")[:ROWS]
    )
    panel["expiring"] = [
        _row(
            f"{assignment.respondent} · {assignment.version.title}",
            _change_url(assignment),
            gettext("the link stops working %(when)s") % {"when": _local(assignment.expires_at, "l j F, H:i")},
        )
        for assignment in expiring
    ]
    panel["empty"] = gettext("Nothing waits for review.")
    return panel


def not_seen(queryset, now):
    """Active clients with no session for ``NOT_SEEN_AFTER`` and none booked (new ones after as long)."""
    cutoff = now - NOT_SEEN_AFTER
    kept = ~Q(appointments__status=AppointmentStatus.CANCELLED)
    return (
        queryset.filter(status=ClientStatus.ACTIVE)
        .annotate(
            last_seen=Max("appointments__starts_at", filter=kept & Q(appointments__starts_at__lt=now)),
            next_session=Max("appointments__starts_at", filter=kept & Q(appointments__starts_at__gte=now)),
        )
        .filter(next_session__isnull=True)
        .filter(Q(last_seen__lt=cutoff) | Q(last_seen__isnull=True, created_at__lt=cutoff))
    )


class NotSeenFilter(admin.SimpleListFilter):
    title = _("last seen")
    parameter_name = "seen"

    def lookups(self, request: HttpRequest, model_admin):
        return [("long-ago", _("Not seen for 6 weeks, nothing booked"))]

    def queryset(self, request: HttpRequest, queryset):
        if self.value() == "long-ago":
            return queryset.filter(pk__in=not_seen(queryset.model.objects.all(), timezone.now()).values("pk"))
        return queryset


def not_seen_panel(request: HttpRequest) -> dict[str, Any] | None:
    if not request.user.has_perm("clients.view_client"):
        return None
    clients = not_seen(Client.objects.for_user(request.user), timezone.now())
    count = clients.count()
    changelist = reverse("admin:clients_client_changelist")
    rows = [
        _row(
            client.display_name,
            _change_url(client),
            gettext("last seen %(when)s") % {"when": _local(client.last_seen, "j F Y")}
            if client.last_seen
            else gettext("no session yet"),
        )
        for client in clients.order_by("last_seen")[:ROWS]
    ]
    return {
        "title": gettext("Clients not seen for a while"),
        "items": [(gettext("Not seen for 6 weeks, nothing booked"), count, f"{changelist}?seen=long-ago")],
        "rows": rows,
        "empty": gettext("Every active client has been seen lately or has a session booked."),
    }


def practice_panel(request: HttpRequest) -> dict[str, Any] | None:
    """Owners: the practice's figures, each a link to its list."""
    user = request.user
    if not is_owner(user):
        return None
    month_ago = timezone.now() - timedelta(days=30)
    clients = reverse("admin:clients_client_changelist")
    return {
        "title": gettext("The practice"),
        "items": [
            (
                gettext("Active clients"),
                Client.objects.for_user(user).filter(status=ClientStatus.ACTIVE).count(),
                f"{clients}?status__exact={ClientStatus.ACTIVE}",
            ),
            (
                gettext("Responses in the last 30 days"),
                Response.objects.for_user(user).filter(completed_at__gte=month_ago).count(),
                reverse("admin:assessments_response_changelist"),
            ),
            (
                gettext("Newsletter subscribers"),
                Subscriber.objects.for_user(user).filter(status=SubscriberStatus.CONFIRMED).count(),
                f"{reverse('admin:newsletter_subscriber_changelist')}?status__exact={SubscriberStatus.CONFIRMED}",
            ),
        ],
    }


def mail_panel(request: HttpRequest) -> dict[str, Any] | None:
    """Owners: how the practice's email is doing (the alert above says when sending is paused)."""
    user = request.user
    if not is_owner(user):
        return None
    week_ago = timezone.now() - timedelta(days=7)
    emails = OutboundEmail.objects.for_user(user)
    counts = emails.aggregate(
        sent=Count("pk", filter=Q(status=EmailStatus.SENT, sent_at__gte=week_ago)),
        waiting=Count("pk", filter=Q(status__in=[EmailStatus.PENDING, EmailStatus.SENDING, EmailStatus.DEFERRED])),
        failed=Count("pk", filter=Q(status=EmailStatus.FAILED, created_at__gte=week_ago)),
    )
    changelist = reverse("admin:mail_outboundemail_changelist")
    return {
        "title": gettext("Email"),
        "items": [
            (gettext("Sent in the last 7 days"), counts["sent"], f"{changelist}?status__exact={EmailStatus.SENT}"),
            (gettext("Waiting to be sent"), counts["waiting"], f"{changelist}?status__exact={EmailStatus.PENDING}"),
            (
                gettext("Failed in the last 7 days"),
                counts["failed"],
                f"{changelist}?status__exact={EmailStatus.FAILED}",
            ),
        ],
    }


PANELS = (day_panel, review_rows_panel, not_seen_panel, practice_panel, mail_panel)
