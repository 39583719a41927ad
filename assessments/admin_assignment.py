"""The assignment's page: send again, give more days or cancel, each asked first; and its timeline.

A mixin of ``AssignmentAdmin``, so the buttons go through its scoped lookup (another therapist's
assignment is a 404) and its change permission. The list keeps the same three as actions, for many at once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from assessments import assignments
from assessments.models import OPEN_STATUSES, Assignment, AssignmentStatus

EXTRA_DAYS = 7


@dataclass(frozen=True)
class PageAction:
    label: str
    question: str
    yes: str
    done: str
    offered: Callable[[Assignment], bool]
    run: Callable[[Assignment], Assignment]


def _when(moment) -> str:
    return date_format(timezone.localtime(moment), "j F Y, H:i")


PAGE_ACTIONS: dict[str, PageAction] = {
    "resend": PageAction(
        label=_("Send again"),
        question=_(
            "Send %(client)s a new link to “%(questionnaire)s”? Earlier links stop working; answers so far stay."
        ),
        yes=_("Yes, send again"),
        done=_("Sent again with a new link."),
        offered=lambda a: a.status in OPEN_STATUSES and a.expires_at > timezone.now(),
        run=lambda a: assignments.assignment_resend(assignment=a),
    ),
    "extend": PageAction(
        label=_("Give 7 more days"),
        question=_("Give %(client)s 7 more days for “%(questionnaire)s”? The link will work until %(until)s."),
        yes=_("Yes, give 7 more days"),
        done=_("The link works 7 days longer."),
        offered=lambda a: a.status not in (AssignmentStatus.COMPLETED, AssignmentStatus.CANCELLED),
        run=lambda a: assignments.assignment_extend(assignment=a, days=EXTRA_DAYS),
    ),
    "cancel": PageAction(
        label=_("Cancel"),
        question=_("Cancel “%(questionnaire)s” for %(client)s? Their link stops working and no reminder is sent."),
        yes=_("Yes, cancel it"),
        done=_("Cancelled: the link no longer works."),
        offered=lambda a: a.status in OPEN_STATUSES,
        run=lambda a: assignments.assignment_cancel(assignment=a),
    ),
}


def timeline(assignment: Assignment) -> list[dict[str, str]]:
    """What happened to an assignment, in order: sent, opened, started, reminded, and how it ended."""
    events = [
        (assignment.sent_at, _("Sent")),
        (assignment.opened_at, _("Opened the link")),
        (assignment.started_at, _("Started answering")),
        (assignment.completed_at, _("Completed")),
        (assignment.cancelled_at, _("Cancelled")),
        (getattr(assignment, "expired_at", None), _("Expired unanswered")),
    ]
    rows = [
        {"when": _when(moment), "what": str(what)}
        for moment, what in sorted(((moment, what) for moment, what in events if moment), key=lambda pair: pair[0])
    ]
    if assignment.invitations_sent > 1:
        rows.append(
            {
                "when": "",
                "what": ngettext(
                    "Sent %(count)d time in all", "Sent %(count)d times in all", assignment.invitations_sent
                )
                % {"count": assignment.invitations_sent},
            }
        )
    if assignment.reminders_emailed:
        rows.append(
            {
                "when": "",
                "what": ngettext("%(count)d reminder sent", "%(count)d reminders sent", assignment.reminders_emailed)
                % {"count": assignment.reminders_emailed},
            }
        )
    if not rows:
        rows.append({"when": _when(assignment.send_at), "what": str(_("To be sent"))})
    if assignment.status in OPEN_STATUSES:
        rows.append({"when": _when(assignment.expires_at), "what": str(_("The link stops working"))})
    return rows


class AssignmentPageMixin:
    change_form_template = "admin/assessments/assignment/change_form.html"
    confirm_template = "admin/assessments/assignment/confirm.html"

    def assignment_page_urls(self) -> list:
        return [
            path(
                "<path:object_id>/do/<slug:action>/",
                self.admin_site.admin_view(self.assignment_action_view),
                name="assessments_assignment_do",
            )
        ]

    def timeline_html(self, obj: Assignment) -> str:
        return render_to_string("admin/assessments/assignment/timeline.html", {"events": timeline(obj)})

    def page_actions(self, request: HttpRequest, obj: Assignment) -> list[dict[str, str]]:
        if not self.has_change_permission(request, obj):
            return []
        return [
            {
                "name": name,
                "label": action.label,
                "url": reverse("admin:assessments_assignment_do", args=[obj.pk, name]),
            }
            for name, action in PAGE_ACTIONS.items()
            if action.offered(obj)
        ]

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            context["assignment_actions"] = self.page_actions(request, obj)
        return super().render_change_form(request, context, add, change, form_url, obj)

    def assignment_action_view(self, request: HttpRequest, object_id: str, action: str) -> HttpResponse:
        assignment = self.get_object(request, object_id)
        if assignment is None or action not in PAGE_ACTIONS:
            raise Http404(_("Not found."))
        if not self.has_change_permission(request, assignment):
            raise PermissionDenied
        spec = PAGE_ACTIONS[action]
        change_url = reverse("admin:assessments_assignment_change", args=[assignment.pk])
        if request.method == "POST" and request.POST.get("confirmed") == "1":
            try:
                spec.run(assignment)
            except assignments.AssignmentError as exc:
                self.message_user(request, str(exc), messages.WARNING)
            else:
                self.message_user(request, spec.done, messages.SUCCESS)
            return HttpResponseRedirect(change_url)
        until = max(assignment.expires_at, timezone.now()) + timedelta(days=EXTRA_DAYS)
        question = spec.question % {
            "client": assignment.respondent,
            "questionnaire": assignment.version.title,
            "until": _when(until),
        }
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": assignment,
            "title": spec.label,
            "question": question,
            "yes": spec.yes,
            "offered": spec.offered(assignment),
            "change_url": change_url,
        }
        return TemplateResponse(request, self.confirm_template, context)
