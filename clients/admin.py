"""Admin for clients: every page scoped to the signed-in therapist or owner."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from clients.models import Channel, Client, ConsentRecord
from clients.services import consent_set
from practice.admin import ScopedModelAdmin


class ConsentRecordInline(admin.TabularInline):
    model = ConsentRecord
    extra = 0
    can_delete = False
    fields = ["channel", "given", "at", "source", "recorded_by"]
    readonly_fields = fields
    verbose_name_plural = _("consent history")

    def has_add_permission(self, request: HttpRequest, obj: Client | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Client | None = None) -> bool:
        return False

    def get_queryset(self, request: HttpRequest):
        return super().get_queryset(request).for_user(request.user).select_related("recorded_by")


@admin.register(Client)
class ClientAdmin(ScopedModelAdmin):
    list_display = ["display_name", "email", "therapist_name", "status", "consent_questionnaires", "created_at"]
    list_display_links = ["display_name"]
    list_filter = [
        "status",
        ("therapist", admin.RelatedOnlyFieldListFilter),
        ("practice", admin.RelatedOnlyFieldListFilter),
        "consent_questionnaires",
        "consent_appointment_reminders",
        "consent_newsletter",
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
    inlines = [ConsentRecordInline]

    @admin.display(description=_("name"), ordering="last_name")
    def display_name(self, obj: Client) -> str:
        return obj.display_name

    @admin.display(description=_("therapist"), ordering="therapist__last_name")
    def therapist_name(self, obj: Client) -> str:
        return obj.therapist.get_full_name() or obj.therapist.get_username()

    def get_changeform_initial_data(self, request: HttpRequest) -> dict[str, object]:
        initial = super().get_changeform_initial_data(request)
        initial.setdefault("therapist", request.user.pk)
        return initial

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

    list_display = ["client", "channel", "given", "at", "source", "recorded_by"]
    list_filter = ["channel", "given"]
    search_fields = ["client__first_name", "client__last_name", "client__email"]
    autocomplete_fields = ["client"]
    list_select_related = ["client", "recorded_by"]
    date_hierarchy = "at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: ConsentRecord | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: ConsentRecord | None = None) -> bool:
        return False
