"""Admin of mail delivery: the outbox, the suppression list, and the test email on the practice's list."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import HttpRequest, HttpResponseRedirect
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from practice import admin as practice_admin
from practice.admin import ScopedModelAdmin
from practice.mail import emails, outbox
from practice.mail.models import OutboundEmail, Suppression
from practice.models import Practice

admin.site.unregister(Practice)  # registered by the practice app, which cannot know the outbox


@admin.register(Practice)
class PracticeAdmin(practice_admin.PracticeAdmin):
    """The practice's page, with the action that sends a test email through the outbox."""

    actions = ["send_email_check"]

    @admin.action(description=_("Send a test email to me"), permissions=["view"])
    def send_email_check(self, request: HttpRequest, queryset: models.QuerySet) -> None:
        if not request.user.email:
            self.message_user(request, _("Your account has no email address; add one first."), level=messages.ERROR)
            return
        practices = list(queryset)
        for practice in practices:
            emails.email_check(practice=practice, user=request.user)
        self.message_user(
            request,
            ngettext(
                "A test email is on its way to %(email)s.",
                "%(count)d test emails are on their way to %(email)s.",
                len(practices),
            )
            % {"count": len(practices), "email": request.user.email},
        )


@admin.register(OutboundEmail)
class OutboundEmailAdmin(ScopedModelAdmin):
    """The outbox: who got what, and what is still waiting. Rows are never edited, only retried."""

    list_display = ["created_at", "kind", "to_email", "subject", "status", "attempts", "sent_at"]
    list_filter = ["status", "kind", ("batch", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["to_email", "subject", "message_id"]
    date_hierarchy = "created_at"
    list_select_related = ["practice"]
    actions = ["retry"]
    readonly_fields = [
        "practice",
        "kind",
        "to_email",
        "subject",
        "status",
        "last_error",
        "due_at",
        "sent_at",
        "created_at",
        "rendered_text",
        "rendered_html",
    ]
    fields = readonly_fields
    technical_fields = (
        "message_id",
        "idempotency_key",
        "attempts",
        "resend_if_lost",
        "batch",
        "personaliser",
        "personalise_id",
        "lease_token",
        "lease_expires_at",
        "transmitting_since",
    )
    change_list_template = "admin/mail/outboundemail/change_list.html"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: OutboundEmail | None = None) -> bool:
        return False

    @admin.display(description=_("text"))
    def rendered_text(self, obj: OutboundEmail) -> str:
        return format_html("<pre style='white-space:pre-wrap'>{}</pre>", outbox.stored_parts(obj)[0])

    @admin.display(description=_("HTML, as the recipient sees it"))
    def rendered_html(self, obj: OutboundEmail) -> str:
        html = outbox.stored_parts(obj)[1]
        if not html:
            return "—"
        # Shown in a sandboxed frame: no scripts, no same-origin access, nothing it can reach.
        return format_html(
            '<iframe sandbox="" srcdoc="{}" style="width:100%;min-height:30rem;border:1px solid #ccc"></iframe>',
            html,
        )

    @admin.action(description=_("Retry the selected failed messages"), permissions=["change"])
    def retry(self, request: HttpRequest, queryset) -> None:
        count = outbox.retry(queryset)
        self.message_user(
            request, ngettext("%d message will be retried.", "%d messages will be retried.", count) % count
        )

    def changelist_view(self, request: HttpRequest, extra_context: dict | None = None):
        if request.method == "POST" and "_resume_sending" in request.POST:
            if not self.has_change_permission(request):
                raise PermissionDenied
            outbox.resume_sending()
            self.message_user(request, _("Sending resumed."))
            return HttpResponseRedirect(request.get_full_path())
        extra_context = {**(extra_context or {}), "delivery_paused": outbox.sending_paused()}
        return super().changelist_view(request, extra_context)


@admin.register(Suppression)
class SuppressionAdmin(ScopedModelAdmin):
    list_display = ["email", "reason", "created_at", "practice"]
    list_select_related = ["practice"]
    list_filter = ["reason"]
    search_fields = ["email"]
    fields = ["practice", "email", "reason", "detail"]

    def has_change_permission(self, request: HttpRequest, obj: Suppression | None = None) -> bool:
        return False
