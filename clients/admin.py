"""Admin for clients: every page scoped to the signed-in therapist or owner."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from assessments.assignments import AssignmentError, assignment_create, schedule_create
from assessments.charts import history_panels
from assessments.hooks import get_hooks
from assessments.models import AccessAction, Assignment
from assessments.results import record_access
from clients import privacy
from clients.dashboard import NotSeenFilter
from clients.forms import AssignForm
from clients.models import Channel, Client, ConsentRecord, ErasureRecord
from clients.services import consent_set
from practice.admin import PersonFilter, ScopedModelAdmin, person_column
from practice.managers import practice_ids_for
from practice.people import person_name

MAX_ASSIGN_AT_ONCE = 200


class ConsentRecordInline(admin.TabularInline):
    model = ConsentRecord
    extra = 0
    can_delete = False
    fields = ["channel", "given", "at", "source", "recorded_by_name"]
    readonly_fields = fields
    verbose_name_plural = _("consent history")

    recorded_by_name = person_column("recorded_by", _("recorded by"))

    def has_add_permission(self, request: HttpRequest, obj: Client | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Client | None = None) -> bool:
        return False

    def get_queryset(self, request: HttpRequest):
        return super().get_queryset(request).for_user(request.user).select_related("recorded_by")


class PastRetentionFilter(admin.SimpleListFilter):
    title = _("retention")
    parameter_name = "retention"

    def lookups(self, request: HttpRequest, model_admin):
        return [("past", _("Past the retention period"))]

    def queryset(self, request: HttpRequest, queryset):
        if self.value() == "past":
            return queryset.filter(pk__in=privacy.past_retention(queryset).values("pk"))
        return queryset


class AssignmentInline(admin.TabularInline):
    """The client's questionnaires, newest first; each opens its own page (scores, resend, cancel)."""

    model = Assignment
    fk_name = "respondent"
    extra = 0
    can_delete = False
    show_change_link = True
    fields = ["version", "status", "sent_at", "expires_at", "completed_at", "reminders"]
    readonly_fields = fields
    verbose_name_plural = _("questionnaires")

    @admin.display(description=_("reminders due so far"))
    def reminders(self, obj: Assignment) -> int:
        """Reminder times that have come (a reminder goes at each, unless the client may not be emailed then)."""
        return obj.reminders_sent

    def has_add_permission(self, request: HttpRequest, obj: Client | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Client | None = None) -> bool:
        return False

    def get_queryset(self, request: HttpRequest):
        return super().get_queryset(request).select_related("version").defer("version__definition")


@admin.register(Client)
class ClientAdmin(ScopedModelAdmin):
    list_display = ["display_name", "email", "therapist_name", "status", "consent_questionnaires", "added"]
    list_display_links = ["display_name"]
    list_filter = [
        "status",
        ("therapist", PersonFilter),
        ("practice", admin.RelatedOnlyFieldListFilter),
        "consent_questionnaires",
        "consent_appointment_reminders",
        "consent_newsletter",
        PastRetentionFilter,
        NotSeenFilter,
    ]
    search_fields = ["first_name", "last_name", "preferred_name", "email", "phone"]
    list_select_related = ["therapist", "practice"]
    list_per_page = 50
    readonly_fields = [
        "consent_questionnaires_at",
        "consent_appointment_reminders_at",
        "consent_newsletter_at",
        "created_at",
        "updated_at",
    ]
    fieldsets = [
        (None, {"fields": ["practice", "therapist", "status"]}),
        (_("Name"), {"fields": ["first_name", "last_name", "preferred_name"]}),
        (_("Contact"), {"fields": ["email", "phone", "date_of_birth"]}),
        (
            _("May we email about…"),
            {
                "fields": [
                    ("consent_questionnaires", "consent_questionnaires_at"),
                    ("consent_appointment_reminders", "consent_appointment_reminders_at"),
                    ("consent_newsletter", "consent_newsletter_at"),
                ],
                "description": _("Tick only what the client has agreed to; every change is recorded."),
            },
        ),
        (_("Record"), {"fields": ["created_at", "updated_at"], "classes": ["collapse"]}),
    ]
    inlines = [ConsentRecordInline, AssignmentInline]
    actions = ["assign_questionnaire", "subject_access", "erase"]

    @admin.display(description=_("name"), ordering="last_name")
    def display_name(self, obj: Client) -> str:
        return obj.display_name

    @admin.display(description=_("added"), ordering="created_at")
    def added(self, obj: Client) -> str:
        return date_format(timezone.localtime(obj.created_at), "j M Y")  # the day is enough in a list

    @admin.display(description=_("therapist"), ordering="therapist__last_name")
    def therapist_name(self, obj: Client) -> str:
        return person_name(obj.therapist)

    def get_changeform_initial_data(self, request: HttpRequest) -> dict[str, object]:
        initial = super().get_changeform_initial_data(request)
        initial.setdefault("therapist", request.user.pk)
        return initial

    def get_urls(self):
        view = self.admin_site.admin_view(self.assign_view)
        return [path("assign/", view, name="clients_client_assign"), *super().get_urls()]

    def render_change_form(self, request: HttpRequest, context: dict, *args, **kwargs) -> HttpResponse:
        context["can_assign"] = request.user.has_perm("assessments.add_assignment")
        client = context.get("original")
        if client is not None and request.user.has_perm("assessments.view_response"):
            context["histories"] = history_panels(client.pk)
            if any(panel["history"].responses for panel in context["histories"]):
                record_access(user=request.user, action=AccessAction.VIEWED, respondent_ids=[client.pk], note="history")
        return super().render_change_form(request, context, *args, **kwargs)

    @admin.action(description=_("Assign a questionnaire"), permissions=["assign"])
    def assign_questionnaire(self, request: HttpRequest, queryset) -> HttpResponseRedirect:
        ids = ",".join(str(pk) for pk in queryset.values_list("pk", flat=True)[:MAX_ASSIGN_AT_ONCE])
        return HttpResponseRedirect(f"{reverse('admin:clients_client_assign')}?ids={ids}")

    @admin.action(description=_("Download everything held about the client (subject access)"), permissions=["view"])
    def subject_access(self, request: HttpRequest, queryset) -> HttpResponse | None:
        clients = list(queryset[:2])
        if len(clients) != 1:
            self.message_user(request, gettext("Choose one client at a time."), messages.WARNING)
            return None
        client = clients[0]
        archive = privacy.subject_access_archive(client)
        record_access(
            user=request.user, action=AccessAction.EXPORTED, respondent_ids=[client.pk], note="subject access archive"
        )
        response = HttpResponse(archive, content_type="application/zip")
        response["Content-Disposition"] = f'attachment; filename="client-{client.pk}-subject-access.zip"'
        response["Cache-Control"] = "no-store"
        return response

    @admin.action(description=_("Erase for ever (owners only)"), permissions=["erase"])
    def erase(self, request: HttpRequest, queryset) -> HttpResponse | None:
        clients = list(queryset.annotate(last_contact=privacy.last_contact_expression()))
        if request.POST.get("confirm") == "ERASE":
            for client in clients:
                privacy.client_erase(client=client, by=request.user)
            self.message_user(
                request,
                ngettext("Erased %(count)s client record.", "Erased %(count)s client records.", len(clients))
                % {"count": len(clients)},
                messages.SUCCESS,
            )
            return None
        if "confirm" in request.POST:
            self.message_user(request, gettext("Nothing was erased: type ERASE to confirm."), messages.WARNING)
        context = {**self.admin_site.each_context(request), "opts": self.opts, "clients": clients}
        return TemplateResponse(request, "admin/clients/client/erase.html", context)

    def has_erase_permission(self, request: HttpRequest) -> bool:
        """Only owners (and superusers) erase, and only in practices they own (the queryset is scoped too)."""
        return request.user.is_superuser or bool(practice_ids_for(request.user, owner_only=True))

    def has_assign_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("assessments.add_assignment")

    def _selected(self, request: HttpRequest, raw: str) -> list[Client]:
        """The clients named in ``raw`` that this user may see; anything else is silently not there."""
        parts = [part.strip() for part in raw.split(",")]
        ids = [int(part) for part in parts if part.isascii() and part.isdigit() and len(part) < 19]
        return list(self.get_queryset(request).filter(pk__in=ids[:MAX_ASSIGN_AT_ONCE]))

    def assign_view(self, request: HttpRequest) -> HttpResponse:
        """Assign a questionnaire to the selected clients (from the list's action or a client's page)."""
        if not self.has_assign_permission(request):
            raise PermissionDenied
        raw = request.POST.get("ids", "") if request.method == "POST" else request.GET.get("ids", "")
        clients = self._selected(request, raw)
        if not clients:
            raise Http404(gettext("No client selected."))
        hooks = get_hooks()
        for client in clients:
            client.may_contact = hooks.may_contact(client)
        form = AssignForm(request.POST or None, user=request.user)
        if request.method == "POST" and form.is_valid():
            done, refused = self._assign(request, form.cleaned_data, clients)
            if done:
                self.message_user(
                    request,
                    ngettext(
                        "Assigned to %(count)s client; the invitation is on its way.",
                        "Assigned to %(count)s clients; the invitations are on their way.",
                        done,
                    )
                    % {"count": done},
                    messages.SUCCESS,
                )
            for message in refused:
                self.message_user(request, message, messages.WARNING)
            if len(clients) == 1:
                return HttpResponseRedirect(reverse("admin:clients_client_change", args=[clients[0].pk]))
            return HttpResponseRedirect(reverse("admin:clients_client_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "form": form,
            "clients": clients,
            "ids": ",".join(str(client.pk) for client in clients),
            "title": gettext("Assign a questionnaire"),
        }
        return TemplateResponse(request, "admin/clients/client/assign.html", context)

    def _assign(self, request: HttpRequest, data: dict, clients: list[Client]) -> tuple[int, list[str]]:
        done, refused = 0, []
        version = data["instrument"].published_version
        for client in clients:
            if not client.may_contact:
                refused.append(
                    gettext("Skipped %(client)s: they cannot be emailed questionnaires.") % {"client": client}
                )
                continue
            options = {
                "respondent": client,
                "expires_in_days": data["expires_in_days"],
                "message": data["message"],
                "release_scores": data["release_scores"],
                "assigned_by": request.user,
            }
            try:
                with transaction.atomic():
                    if data["repeat"]:
                        schedule_create(
                            instrument=data["instrument"],
                            every_weeks=data["every_weeks"],
                            max_occurrences=data["max_occurrences"],
                            **options,
                        )
                    else:
                        assignment_create(version=version, **options)
            except AssignmentError as exc:
                refused.append(f"{client}: {exc}")
            else:
                done += 1
        return done, refused

    def save_model(self, request: HttpRequest, obj: Client, form, change: bool) -> None:
        """Save the record, then route consent changes through the service that logs them."""
        wanted: dict[Channel, bool] = {}
        for channel in Channel:
            field = Client.consent_field(channel)
            if field in form.changed_data:
                wanted[channel] = getattr(obj, field)
                setattr(obj, field, form.initial.get(field, False))
        super().save_model(request, obj, form, change)
        for channel, given in wanted.items():
            consent_set(
                client=obj,
                channel=channel,
                given=given,
                source="client record in the admin",
                recorded_by=request.user,
            )


@admin.register(ConsentRecord)
class ConsentRecordAdmin(ScopedModelAdmin):
    """The consent log: read-only, because it is the practice's evidence."""

    list_display = ["client", "channel", "given", "at", "source", "recorded_by_name"]
    fields = ["client", "channel", "given", "at", "source", "recorded_by_name"]
    readonly_fields = fields
    list_filter = ["channel", "given"]
    search_fields = ["client__first_name", "client__last_name", "client__email"]
    autocomplete_fields = ["client"]
    list_select_related = ["client", "recorded_by"]
    date_hierarchy = "at"

    recorded_by_name = person_column("recorded_by", _("recorded by"))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: ConsentRecord | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: ConsentRecord | None = None) -> bool:
        return False


@admin.register(ErasureRecord)
class ErasureRecordAdmin(ScopedModelAdmin):
    """The erasure log: owners only, read-only; it names no client."""

    list_display = ["at", "client_number", "erased_by_name", "practice"]
    list_select_related = ["erased_by", "practice"]
    readonly_fields = ["at", "practice", "client_number", "erased_by_name", "counts"]
    fields = readonly_fields

    erased_by_name = person_column("erased_by", _("erased by"))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: ErasureRecord | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: ErasureRecord | None = None) -> bool:
        return False


from clients.admin_appointments import *  # noqa: E402,F403
from clients.couples import admin as couples_admin  # noqa: E402, F401  (registers the couples' pages)
