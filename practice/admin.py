"""Admin for the practice, and the scoping every practice-owned admin page uses."""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.auth import get_user_model
from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.db import models
from django.http import Http404, HttpRequest, HttpResponseNotAllowed, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import formats, timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from practice import campaigns, outbox, services
from practice.managers import staff_for_user
from practice.models import Campaign, CampaignStatus, Membership, OutboundEmail, Practice, Subscriber, Suppression


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

    def get_changeform_initial_data(self, request: HttpRequest) -> dict[str, object]:
        """A new row belongs to the user's practice when they have exactly one."""
        initial = super().get_changeform_initial_data(request)
        if any(field.name == "practice" for field in self.model._meta.fields):
            practices = list(Practice.objects.for_user(request.user)[:2])
            if len(practices) == 1:
                initial.setdefault("practice", practices[0].pk)
        return initial

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


@admin.register(OutboundEmail)
class OutboundEmailAdmin(ScopedModelAdmin):
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


@admin.register(Subscriber)
class SubscriberAdmin(ScopedModelAdmin):
    list_display = ["email", "name", "status", "source", "consent_at", "confirmed_at"]
    list_filter = ["status", "source"]
    search_fields = ["email", "name"]
    readonly_fields = ["consent_text", "consent_at", "confirmed_at", "unsubscribed_at", "created_at"]
    fields = ["practice", "email", "name", "status", "source", *readonly_fields]


# Newsletter campaigns ------------------------------------------------------------------------------
# Imported here so this section can be added without touching the module's header.


EDITABLE_CAMPAIGN_STATUSES = (CampaignStatus.DRAFT, CampaignStatus.SCHEDULED)


@admin.register(Campaign)
class CampaignAdmin(ScopedModelAdmin):
    """Write a newsletter, preview and test it, then send or schedule it; follow the counts as it goes."""

    list_display = ["subject", "status", "send_at", "counts_summary"]
    list_filter = ["status"]
    search_fields = ["subject"]
    fields = ["practice", "subject", "preheader", "body_markdown", "send_at"]
    change_form_template = "admin/practice/campaign/change_form.html"
    preview_template = "admin/practice/campaign/preview.html"

    #: What each button on the change page does: (label, the statuses it is offered in).
    campaign_actions: dict[str, tuple[str, tuple[str, ...]]] = {
        "test": (_("Send a test to myself"), tuple(CampaignStatus.values)),
        "send": (_("Send now"), EDITABLE_CAMPAIGN_STATUSES),
        "pause": (_("Pause"), (CampaignStatus.SENDING,)),
        "resume": (_("Resume"), (CampaignStatus.PAUSED,)),
        "cancel": (_("Cancel"), (CampaignStatus.SCHEDULED, CampaignStatus.SENDING, CampaignStatus.PAUSED)),
        "retry": (_("Retry failed"), (CampaignStatus.SENDING, CampaignStatus.PAUSED, CampaignStatus.FINISHED)),
    }

    def get_queryset(self, request: HttpRequest) -> models.QuerySet:
        return super().get_queryset(request).annotate(**campaigns.count_expressions())

    @admin.display(description=_("recipients"))
    def counts_summary(self, obj: Campaign) -> str:
        counts = {name: getattr(obj, name) for name in campaigns.count_expressions()}
        if not counts["recipients"]:
            return "—"
        return str(_("%(sent)d of %(recipients)d sent, %(failed)d failed, %(pending)d waiting") % counts)

    def has_change_permission(self, request: HttpRequest, obj: Campaign | None = None) -> bool:
        """Once sending has begun, the content is the record of what went out."""
        allowed = super().has_change_permission(request, obj)
        return allowed and (obj is None or obj.status in EDITABLE_CAMPAIGN_STATUSES)

    def has_delete_permission(self, request: HttpRequest, obj: Campaign | None = None) -> bool:
        allowed = super().has_delete_permission(request, obj)
        return allowed and (obj is None or obj.status in EDITABLE_CAMPAIGN_STATUSES)

    def _may_act(self, request: HttpRequest) -> bool:
        """The buttons need change_campaign, whatever state the campaign is in."""
        return super().has_change_permission(request)

    def save_model(self, request: HttpRequest, obj: Campaign, form, change: bool) -> None:
        if not change:
            obj.created_by = request.user
            obj.save()
            return
        # Only the edited fields: never write back a status the beat task may have just changed.
        obj.save(update_fields=[name for name in self.fields if name in form.changed_data])
        if obj.send_at is None:
            Campaign.objects.filter(pk=obj.pk, status=CampaignStatus.SCHEDULED).update(status=CampaignStatus.DRAFT)

    def response_change(self, request: HttpRequest, obj: Campaign):
        if "_schedule" not in request.POST:
            return super().response_change(request, obj)
        try:
            campaigns.campaign_schedule(campaign=obj, send_at=obj.send_at)
        except campaigns.CampaignError as exc:
            self.message_user(request, str(exc), level=messages.ERROR)
        else:
            when = formats.localize(timezone.localtime(obj.send_at))
            self.message_user(request, _("The campaign will be sent at %(when)s.") % {"when": when}, messages.SUCCESS)
        return HttpResponseRedirect(request.path)

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        return [
            path(
                "<path:object_id>/preview/",
                self.admin_site.admin_view(self.preview_view),
                name="{}_{}_preview".format(*info),
            ),
            path(
                "<path:object_id>/campaign/<slug:action>/",
                self.admin_site.admin_view(self.action_view),
                name="{}_{}_action".format(*info),
            ),
            *super().get_urls(),
        ]

    def _change_url(self, campaign: Campaign) -> str:
        return reverse("admin:practice_campaign_change", args=[campaign.pk], current_app=self.admin_site.name)

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None and obj.pk:
            counts = campaigns.campaign_counts(obj)
            may_act = self._may_act(request)
            context["campaign_counts"] = counts
            context["campaign_preview_url"] = reverse(
                "admin:practice_campaign_preview", args=[obj.pk], current_app=self.admin_site.name
            )
            context["campaign_can_schedule"] = may_act and self.has_change_permission(request, obj)
            context["campaign_actions"] = [
                {
                    "name": name,
                    "label": label,
                    "url": reverse(
                        "admin:practice_campaign_action", args=[obj.pk, name], current_app=self.admin_site.name
                    ),
                }
                for name, (label, statuses) in self.campaign_actions.items()
                if may_act and obj.status in statuses and (name != "retry" or counts["failed"])
            ]
        return super().render_change_form(request, context, add, change, form_url, obj)

    def preview_view(self, request: HttpRequest, object_id: str):
        campaign = self.get_object(request, unquote(object_id))
        if not self.has_view_permission(request, campaign):
            raise PermissionDenied
        subject, text, html = campaigns.campaign_preview(campaign, email=request.user.email)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": campaign,
            "title": _("Preview: %(subject)s") % {"subject": subject},
            "subject": subject,
            "text": text,
            "html": html,
            "change_url": self._change_url(campaign),
        }
        return TemplateResponse(request, self.preview_template, context)

    def action_view(self, request: HttpRequest, object_id: str, action: str):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        campaign = self.get_object(request, unquote(object_id))  # 404 outside the user's practices
        if not self._may_act(request):
            raise PermissionDenied
        if action not in self.campaign_actions:
            raise Http404(_("Not found."))
        try:
            message = getattr(self, f"_do_{action}")(request, campaign)
        except campaigns.CampaignError as exc:
            self.message_user(request, str(exc), level=messages.ERROR)
        else:
            self.message_user(request, message, level=messages.SUCCESS)
        return HttpResponseRedirect(self._change_url(campaign))

    def _do_test(self, request: HttpRequest, campaign: Campaign) -> str:
        campaigns.campaign_send_test(campaign=campaign, user=request.user)
        return _("A test is on its way to %(email)s.") % {"email": request.user.email}

    def _do_send(self, request: HttpRequest, campaign: Campaign) -> str:
        campaigns.campaign_start(campaign=campaign)
        count = campaigns.campaign_counts(campaign)["recipients"]
        return ngettext(
            "The campaign is being sent to %(count)d subscriber.",
            "The campaign is being sent to %(count)d subscribers.",
            count,
        ) % {"count": count}

    def _do_pause(self, request: HttpRequest, campaign: Campaign) -> str:
        campaigns.campaign_pause(campaign=campaign)
        return _("Sending is paused. Messages already on their way will still arrive.")

    def _do_resume(self, request: HttpRequest, campaign: Campaign) -> str:
        campaigns.campaign_resume(campaign=campaign)
        return _("Sending resumed.")

    def _do_cancel(self, request: HttpRequest, campaign: Campaign) -> str:
        campaigns.campaign_cancel(campaign=campaign)
        return _("The campaign is cancelled; nothing more will be sent.")

    def _do_retry(self, request: HttpRequest, campaign: Campaign) -> str:
        count = campaigns.campaign_retry_failed(campaign=campaign)
        return ngettext("%d failed message will be retried.", "%d failed messages will be retried.", count) % count
