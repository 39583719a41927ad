"""Admin for the practice, and the scoping every practice-owned admin page uses."""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django.http import Http404, HttpRequest
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from practice import outbox, services
from practice.managers import staff_for_user
from practice.models import Membership, OutboundEmail, Practice, Subscriber, Suppression


class ScopedModelAdmin(admin.ModelAdmin):
    """A ModelAdmin whose every queryset goes through the model's ``for_user``.

    Fails closed: a model without ``for_user`` or a foreign key to a model without it
    is a configuration error, not an unscoped page. Objects out of scope are a 404.
    """

    #: Foreign keys whose choices are not practice data (e.g. a content type).
    unscoped_foreign_keys: tuple[str, ...] = ()

    def get_queryset(self, request: HttpRequest) -> models.QuerySet:
        queryset = super().get_queryset(request)
        if not hasattr(queryset, "for_user"):
            raise ImproperlyConfigured(f"{self.model.__name__}'s queryset has no for_user(); it cannot be scoped.")
        return queryset.for_user(request.user)

    def get_object(self, request: HttpRequest, object_id: str, from_field: str | None = None):
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            raise Http404(_("Not found."))
        return obj

    def get_field_queryset(self, db, db_field, request: HttpRequest):
        if db_field.name in self.unscoped_foreign_keys:
            return super().get_field_queryset(db, db_field, request)
        related = db_field.remote_field.model
        if related is get_user_model():
            return staff_for_user(request.user)
        queryset = related._default_manager.using(db).all()
        if not hasattr(queryset, "for_user"):
            raise ImproperlyConfigured(
                f"{self.model.__name__}.{db_field.name} points at {related.__name__}, which cannot be "
                "scoped; add for_user() to its queryset or list the field in unscoped_foreign_keys."
            )
        return queryset.for_user(request.user)


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    fields = ["user", "role", "created_at"]
    readonly_fields = ["created_at"]

    def get_queryset(self, request: HttpRequest) -> models.QuerySet:
        return super().get_queryset(request).for_user(request.user).select_related("user")

    def get_field_queryset(self, db, db_field, request: HttpRequest):
        if db_field.name == "user":
            return staff_for_user(request.user)
        return super().get_field_queryset(db, db_field, request)


@admin.register(Practice)
class PracticeAdmin(ScopedModelAdmin):
    list_display = ["name", "contact_email", "phone", "time_zone"]
    search_fields = ["name"]
    inlines = [MembershipInline]
    actions = ["send_email_check"]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    fieldsets = [
        (None, {"fields": ["name", "time_zone"]}),
        (_("Contact details"), {"fields": ["contact_email", "phone", "website", "postal_address"]}),
        (_("Sending email"), {"fields": ["sender_name", "sender_email"]}),
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return request.user.is_superuser

    def has_delete_permission(self, request: HttpRequest, obj: Practice | None = None) -> bool:
        return request.user.is_superuser

    @admin.action(description=_("Send a test email to me"), permissions=["view"])
    def send_email_check(self, request: HttpRequest, queryset: models.QuerySet) -> None:
        if not request.user.email:
            self.message_user(request, _("Your account has no email address; add one first."), level=messages.ERROR)
            return
        practices = list(queryset)
        for practice in practices:
            services.email_check_queue(practice=practice, user=request.user)
        self.message_user(
            request,
            ngettext(
                "A test email is on its way to %(email)s.",
                "%(count)d test emails are on their way to %(email)s.",
                len(practices),
            )
            % {"count": len(practices), "email": request.user.email},
        )


@admin.register(Membership)
class MembershipAdmin(ScopedModelAdmin):
    list_display = ["user", "practice", "role", "created_at"]
    list_filter = [("practice", admin.RelatedOnlyFieldListFilter), "role"]
    search_fields = ["user__username", "user__first_name", "user__last_name", "user__email"]
    list_select_related = ["user", "practice"]


class OwnedByPracticeAdmin(ScopedModelAdmin):
    """Admin for rows that belong to a practice as a whole; the practice defaults to the user's own."""

    def get_changeform_initial_data(self, request: HttpRequest) -> dict[str, object]:
        initial = super().get_changeform_initial_data(request)
        practices = list(Practice.objects.for_user(request.user)[:2])
        if len(practices) == 1:
            initial.setdefault("practice", practices[0].pk)
        return initial


@admin.register(OutboundEmail)
class OutboundEmailAdmin(OwnedByPracticeAdmin):
    """The outbox: who got what, and what is still waiting. Rows are never edited, only retried."""

    list_display = ["created_at", "kind", "to_email", "subject", "status", "attempts", "sent_at"]
    list_filter = ["status", "kind", ("campaign", admin.RelatedOnlyFieldListFilter)]
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
        "attempts",
        "last_error",
        "due_at",
        "sent_at",
        "message_id",
        "idempotency_key",
        "resend_if_lost",
        "created_at",
        "rendered_text",
        "rendered_html",
    ]
    fields = readonly_fields
    change_list_template = "admin/practice/outboundemail/change_list.html"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: OutboundEmail | None = None) -> bool:
        return False

    @admin.display(description=_("text"))
    def rendered_text(self, obj: OutboundEmail) -> str:
        return format_html("<pre style='white-space:pre-wrap'>{}</pre>", obj.body_text)

    @admin.display(description=_("HTML, as the recipient sees it"))
    def rendered_html(self, obj: OutboundEmail) -> str:
        if not obj.body_html:
            return "—"
        # Shown in a sandboxed frame: no scripts, no same-origin access, nothing it can reach.
        return format_html(
            '<iframe sandbox="" srcdoc="{}" style="width:100%;min-height:30rem;border:1px solid #ccc"></iframe>',
            obj.body_html,
        )

    @admin.action(description=_("Retry the selected failed messages"), permissions=["change"])
    def retry(self, request: HttpRequest, queryset) -> None:
        count = outbox.retry(queryset)
        self.message_user(
            request, ngettext("%d message will be retried.", "%d messages will be retried.", count) % count
        )

    def changelist_view(self, request: HttpRequest, extra_context: dict | None = None):
        if request.method == "POST" and "_resume_sending" in request.POST and self.has_change_permission(request):
            outbox.resume_sending()
            self.message_user(request, _("Sending resumed."))
        extra_context = {**(extra_context or {}), "delivery_paused": outbox.sending_paused()}
        return super().changelist_view(request, extra_context)


@admin.register(Suppression)
class SuppressionAdmin(OwnedByPracticeAdmin):
    list_display = ["email", "reason", "created_at", "practice"]
    list_filter = ["reason"]
    search_fields = ["email"]
    fields = ["practice", "email", "reason", "detail"]

    def has_change_permission(self, request: HttpRequest, obj: Suppression | None = None) -> bool:
        return False


@admin.register(Subscriber)
class SubscriberAdmin(OwnedByPracticeAdmin):
    list_display = ["email", "name", "status", "source", "consent_at", "confirmed_at"]
    list_filter = ["status", "source"]
    search_fields = ["email", "name"]
    readonly_fields = ["consent_text", "consent_at", "confirmed_at", "unsubscribed_at", "created_at"]
    fields = ["practice", "email", "name", "status", "source", *readonly_fields]
