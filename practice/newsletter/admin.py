"""Admin of the newsletter: subscribers, and campaigns written, previewed, tested, sent and followed."""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import Http404, HttpRequest, HttpResponseNotAllowed, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from practice.admin import ScopedModelAdmin, person_column
from practice.managers import practice_ids_for
from practice.newsletter import campaigns
from practice.newsletter.models import BlogFeed, Campaign, CampaignStatus, FeedPost, FeedStatus, Subscriber


@admin.register(Subscriber)
class SubscriberAdmin(ScopedModelAdmin):
    list_display = ["email", "name", "status", "source", "consent_at", "confirmed_at"]
    list_filter = ["status", "source"]
    search_fields = ["email", "name"]
    readonly_fields = ["consent_text", "consent_at", "confirmed_at", "unsubscribed_at", "created_at"]
    fields = ["practice", "email", "name", "status", "source", *readonly_fields]


EDITABLE_CAMPAIGN_STATUSES = (CampaignStatus.DRAFT, CampaignStatus.SCHEDULED)


@admin.register(Campaign)
class CampaignAdmin(ScopedModelAdmin):
    """Write a newsletter, preview and test it, then send or schedule it; follow the counts as it goes."""

    list_display = ["subject", "status", "send_at", "counts_summary", "written_by"]
    list_select_related = ["created_by"]
    list_filter = ["status"]
    search_fields = ["subject"]
    fields = ["practice", "subject", "preheader", "body_markdown", "send_at"]
    change_form_template = "admin/newsletter/campaign/change_form.html"
    preview_template = "admin/newsletter/campaign/preview.html"

    #: What each button on the change page does: (label, the statuses it is offered in).
    campaign_actions: dict[str, tuple[str, tuple[str, ...]]] = {
        "test": (_("Send a test to myself"), tuple(CampaignStatus.values)),
        "send": (_("Send now"), EDITABLE_CAMPAIGN_STATUSES),
        "pause": (_("Pause"), (CampaignStatus.SENDING,)),
        "resume": (_("Resume"), (CampaignStatus.PAUSED,)),
        "cancel": (_("Cancel"), (CampaignStatus.SCHEDULED, CampaignStatus.SENDING, CampaignStatus.PAUSED)),
        "retry": (_("Retry failed"), (CampaignStatus.SENDING, CampaignStatus.PAUSED, CampaignStatus.FINISHED)),
    }

    #: What goes to (or stops going to) the whole list is the owners' to decide; a test is anyone's.
    owner_actions = frozenset({"send", "schedule", "pause", "resume", "cancel", "retry"})
    #: What asks first, saying how many people will receive it.
    confirmed_actions = frozenset({"send", "schedule"})
    confirm_template = "admin/newsletter/campaign/confirm.html"

    def get_queryset(self, request: HttpRequest) -> models.QuerySet:
        return super().get_queryset(request).annotate(**campaigns.count_expressions())

    def formfield_for_dbfield(self, db_field, request: HttpRequest, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if db_field.name == "send_at":
            # The admin's split widget labels only its first box; a screen reader needs both named.
            date, time = field.widget.widgets
            date.attrs["aria-label"] = _("Send on (date)")
            time.attrs["aria-label"] = _("Send at (time)")
        return field

    written_by = person_column("created_by", _("written by"))

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

    def _may_act(self, request: HttpRequest, campaign: Campaign, action: str) -> bool:
        """The buttons need change_campaign, whatever state the campaign is in; sending needs an owner."""
        if not super().has_change_permission(request):
            return False
        return action not in self.owner_actions or self._is_owner(request, campaign)

    @staticmethod
    def _is_owner(request: HttpRequest, campaign: Campaign) -> bool:
        user = request.user
        return (
            user.is_superuser
            or practice_ids_for(user, owner_only=True).filter(practice_id=campaign.practice_id).exists()
        )

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
        """ "Save and schedule" saves the edits, then asks to confirm the time and the number of recipients."""
        if "_schedule" not in request.POST:
            return super().response_change(request, obj)
        if not self._may_act(request, obj, "schedule"):
            raise PermissionDenied
        return HttpResponseRedirect(
            reverse("admin:newsletter_campaign_action", args=[obj.pk, "schedule"], current_app=self.admin_site.name)
        )

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
        return reverse("admin:newsletter_campaign_change", args=[campaign.pk], current_app=self.admin_site.name)

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None and obj.pk:
            counts = campaigns.campaign_counts(obj)
            context["campaign_counts"] = counts
            context["campaign_preview_url"] = reverse(
                "admin:newsletter_campaign_preview", args=[obj.pk], current_app=self.admin_site.name
            )
            context["campaign_can_schedule"] = self._may_act(request, obj, "schedule") and self.has_change_permission(
                request, obj
            )
            context["campaign_owners_only"] = not self._is_owner(request, obj)
            context["campaign_actions"] = [
                {
                    "name": name,
                    "label": label,
                    "url": reverse(
                        "admin:newsletter_campaign_action", args=[obj.pk, name], current_app=self.admin_site.name
                    ),
                }
                for name, (label, statuses) in self.campaign_actions.items()
                if self._may_act(request, obj, name)
                and obj.status in statuses
                and (name != "retry" or counts["failed"])
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
        campaign = self.get_object(request, unquote(object_id))  # 404 outside the user's practices
        if action not in self.campaign_actions and action not in self.confirmed_actions:
            raise Http404(_("Not found."))
        if not self._may_act(request, campaign, action):
            raise PermissionDenied
        if action in self.confirmed_actions and request.method in ("GET", "HEAD", "POST"):
            if request.method != "POST" or request.POST.get("confirmed") != "1":
                return self._confirm_view(request, campaign, action)
        elif request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        try:
            message = getattr(self, f"_do_{action}")(request, campaign)
        except campaigns.CampaignError as exc:
            self.message_user(request, str(exc), level=messages.ERROR)
        else:
            self.message_user(request, message, level=messages.SUCCESS)
        return HttpResponseRedirect(self._change_url(campaign))

    def _confirm_view(self, request: HttpRequest, campaign: Campaign, action: str):
        """How many people will receive it, and when; nothing is sent until the owner says yes."""
        # The subscribers the start would write a message for (confirmed, not suppressed), counted today.
        count = campaigns._recipients(campaign).count()
        people = ngettext("%(count)d subscriber", "%(count)d subscribers", count) % {"count": count}
        if action == "send":
            question = _("“%(subject)s” will be sent now to %(people)s.")
            title, button = _("Send the newsletter now?"), _("Yes, send it now")
        else:
            question = _("“%(subject)s” will be sent at %(when)s to the subscribers confirmed then: %(people)s today.")
            title, button = _("Schedule the newsletter?"), _("Yes, schedule it")
        when = formats.localize(timezone.localtime(campaign.send_at)) if campaign.send_at else "—"
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": campaign,
            "title": title,
            "question": question % {"subject": campaign.subject, "people": people, "when": when},
            "recipient_count": count,
            "confirm_label": button,
            "change_url": self._change_url(campaign),
        }
        return TemplateResponse(request, self.confirm_template, context)

    def _do_schedule(self, request: HttpRequest, campaign: Campaign) -> str:
        campaigns.campaign_schedule(campaign=campaign, send_at=campaign.send_at)
        when = formats.localize(timezone.localtime(campaign.send_at))
        return _("The campaign will be sent at %(when)s.") % {"when": when}

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


@admin.register(BlogFeed)
class BlogFeedAdmin(ScopedModelAdmin):
    """The practice's blog feed: where it is, what new posts become, and how the last reading went."""

    list_display = ["url", "practice", "mode", "active", "status", "checked_at"]
    readonly_fields = ["status", "status_detail", "checked_at", "digest_sent_at"]
    fields = ["practice", "url", "mode", "active", *readonly_fields]

    def save_model(self, request: HttpRequest, obj: BlogFeed, form, change: bool) -> None:
        if change and "url" in form.changed_data:
            obj.status, obj.status_detail = FeedStatus.WAITING, ""  # a new address is read afresh
        super().save_model(request, obj, form, change)


@admin.register(FeedPost)
class FeedPostAdmin(ScopedModelAdmin):
    """Posts seen in the feed, each once, and the campaign each became."""

    list_display = ["title", "published_at", "seen_at", "campaign"]
    list_filter = ["feed"]
    readonly_fields = ["feed", "key", "link", "title", "summary", "published_at", "seen_at", "campaign"]
    fields = readonly_fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False
