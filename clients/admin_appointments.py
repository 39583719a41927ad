"""Admin for appointments and questionnaire plans: scoped like clients, every change through the services.

Times are entered and shown in the practice's time zone, whatever the server's is: every page of
these admins runs under ``timezone.override`` with the zone of the practice concerned.
"""

from __future__ import annotations

import datetime
import zoneinfo

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin import widgets
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from assessments.models import Instrument, InstrumentStatus
from clients import appointments, wallclock
from clients.models import (
    DURATION_MESSAGE,
    DURATION_MINUTES,
    Appointment,
    AppointmentStatus,
    PlannedAssignment,
    QuestionnairePlan,
)
from practice.admin import PersonFilter, ScopedModelAdmin, person_column
from practice.mail.models import OutboundEmail
from practice.models import Practice
from practice.people import person_name

__all__ = ["AppointmentAdmin", "QuestionnairePlanAdmin"]


def zone_for(request: HttpRequest, appointment: Appointment | None = None) -> zoneinfo.ZoneInfo:
    """The practice's zone: the appointment's, else the signed-in user's (first) practice's, else the server's."""
    if appointment is not None:
        return appointment.time_zone
    practice = Practice.objects.for_user(request.user).order_by("pk").first()
    return zoneinfo.ZoneInfo(practice.time_zone if practice else settings.TIME_ZONE)


def _describe(errors: ValidationError) -> str:
    return " ".join(message for message in errors.messages)


def calendar_bounds(request: HttpRequest, now: datetime.datetime) -> dict[str, tuple[datetime.datetime, ...]]:
    """Today, tomorrow and this week (Monday to Sunday) as [start, end) in the practice's zone."""
    zone = zone_for(request)
    today = timezone.localtime(now, zone).date()
    monday = today - datetime.timedelta(days=today.weekday())

    def midnight(day: datetime.date, plus: int = 0) -> datetime.datetime:
        return datetime.datetime.combine(day + datetime.timedelta(days=plus), datetime.time(), tzinfo=zone)

    return {
        "today": (midnight(today), midnight(today, 1)),
        "tomorrow": (midnight(today, 1), midnight(today, 2)),
        "week": (midnight(monday), midnight(monday, 7)),
    }


def appointments_panel(request: HttpRequest) -> dict | None:
    """The admin front page's "Appointments" panel: today, this week, and sessions whose outcome is not recorded."""
    if not request.user.has_perm("clients.view_appointment"):
        return None
    now = timezone.now()
    bounds = calendar_bounds(request, now)
    mine = Appointment.objects.for_user(request.user).exclude(status=AppointmentStatus.CANCELLED)
    changelist = reverse("admin:clients_appointment_changelist")
    return {
        "title": gettext("Appointments"),
        "items": [
            (gettext("Today"), mine.between(*bounds["today"]).count(), f"{changelist}?when=today"),
            (gettext("This week"), mine.between(*bounds["week"]).count(), f"{changelist}?when=week"),
            (
                gettext("Outcome to record"),
                mine.filter(status=AppointmentStatus.BOOKED, starts_at__lt=now).count(),
                f"{changelist}?when=to_record",
            ),
        ],
    }


class WhenFilter(admin.SimpleListFilter):
    """Today's and this week's appointments, by the practice's calendar."""

    title = _("when")
    parameter_name = "when"

    def lookups(self, request: HttpRequest, model_admin) -> list[tuple[str, str]]:
        return [
            ("today", _("Today")),
            ("tomorrow", _("Tomorrow")),
            ("week", _("This week")),
            ("upcoming", _("Upcoming")),
            ("past", _("Past")),
            ("to_record", _("Outcome to record")),
        ]

    def queryset(self, request: HttpRequest, queryset):
        value = self.value()
        now = timezone.now()
        bounds = calendar_bounds(request, now)
        if value in bounds:
            return queryset.between(*bounds[value])
        if value == "upcoming":
            return queryset.filter(starts_at__gte=now)
        if value == "past":
            return queryset.filter(starts_at__lt=now)
        if value == "to_record":
            return queryset.filter(status=AppointmentStatus.BOOKED, starts_at__lt=now)
        return queryset


class WallClockField(forms.SplitDateTimeField):
    """A date and a time as the clock reads them (naive): the form turns them into an instant, because only it
    knows the zone and can ask which one is meant when the clock reading happens twice."""

    def compress(self, data_list):
        if not data_list:
            return None
        if data_list[0] in self.empty_values:
            raise ValidationError(self.error_messages["invalid_date"], code="invalid_date")
        if data_list[1] in self.empty_values:
            raise ValidationError(self.error_messages["invalid_time"], code="invalid_time")
        return datetime.datetime.combine(*data_list)


class AppointmentForm(forms.ModelForm):
    """The start in the practice's zone (the admin runs each page under it). A time in the spring gap is refused
    with the nearest valid times; one in the autumn overlap brings up a choice between its two passes, with their
    offsets. The length says its real bounds."""

    starts_at = WallClockField(label=_("Starts"), widget=widgets.AdminSplitDateTime)
    starts_at_occurrence = forms.ChoiceField(
        label=_("Which one"),
        choices=[(name, name) for name in wallclock.OCCURRENCES],
        required=False,
        widget=forms.HiddenInput,
    )
    duration_minutes = forms.IntegerField(
        label=_("Length (minutes)"),
        initial=50,
        min_value=DURATION_MINUTES[0],
        max_value=DURATION_MINUTES[1],
        error_messages={"min_value": DURATION_MESSAGE, "max_value": DURATION_MESSAGE},
    )

    class Meta:
        model = Appointment
        fields = ["starts_at", "duration_minutes"]  # the admin's fieldsets name the rest

    def _offer_occurrences(self, reading: wallclock.Reading) -> None:
        field = self.fields["starts_at_occurrence"]
        first, second = reading.candidates
        field.choices = [
            ("first", gettext("The first %(time)s") % {"time": wallclock.describe(first)}),
            ("second", gettext("The second %(time)s") % {"time": wallclock.describe(second)}),
        ]
        field.widget = forms.RadioSelect(choices=field.choices)
        field.help_text = gettext("The clocks go back that night, so this time happens twice.")

    def clean(self):
        cleaned = super().clean()
        wall = cleaned.get("starts_at")
        if not isinstance(wall, datetime.datetime):
            return cleaned
        if self.instance.pk and "starts_at" not in self.changed_data:
            cleaned["starts_at"] = self.instance.starts_at  # unchanged: the same instant, whichever pass it is
            return cleaned
        zone = timezone.get_current_timezone()
        reading = wallclock.read(wall, zone)
        if reading.kind == "overlap" and "starts_at_occurrence" in self.fields:
            self._offer_occurrences(reading)
        try:
            cleaned["starts_at"] = wallclock.to_instant(wall, zone, occurrence=cleaned.get("starts_at_occurrence"))
        except ValidationError as exc:
            self.add_error(None, exc)
        return cleaned


#: Set by the use cases (booking, changes, reminders), shown read-only.
SERVER_MANAGED = [
    "status",
    "next_reminder",
    "reminders_sent",
    "emails_sent",
    "booked_by_name",
    "cancelled_at",
    "created_at",
    "updated_at",
]


@admin.register(Appointment)
class AppointmentAdmin(ScopedModelAdmin):
    form = AppointmentForm
    list_display = ["when", "client", "therapist_name", "kind", "duration_minutes", "status", "reminders_sent"]
    list_display_links = ["when"]
    list_filter = [WhenFilter, "status", "kind", ("therapist", PersonFilter)]
    search_fields = ["client__first_name", "client__last_name", "client__preferred_name", "client__email"]
    list_select_related = ["client__practice", "therapist"]
    date_hierarchy = "starts_at"
    ordering = ["starts_at"]
    list_per_page = 50
    autocomplete_fields = ["client"]
    actions = ["cancel_selected", "mark_completed", "mark_no_show"]
    fieldsets = [
        (None, {"fields": ["client", "therapist", "starts_at", "starts_at_occurrence", "duration_minutes"]}),
        (_("Where"), {"fields": ["kind", "location", "meeting_url"]}),
        (_("Private"), {"fields": ["note"]}),
        (_("Status and emails"), {"fields": SERVER_MANAGED}),
    ]
    readonly_fields = SERVER_MANAGED
    technical_fields = ("uid", "sequence")
    change_form_template = "admin/clients/appointment/change_form.html"
    change_list_template = "admin/clients/appointment/change_list.html"

    @admin.display(description=_("when"), ordering="starts_at")
    def when(self, obj: Appointment) -> str:
        start, end, zone = obj.local_start, obj.local_end, obj.time_zone
        return f"{start:%a %d %b %Y}, {wallclock.clock_text(start, zone)} to {wallclock.clock_text(end, zone)}"

    @admin.display(description=_("therapist"), ordering="therapist__last_name")
    def therapist_name(self, obj: Appointment) -> str:
        return person_name(obj.therapist)

    booked_by_name = person_column("booked_by", _("booked by"))

    @admin.display(description=_("next reminder"))
    def next_reminder(self, obj: Appointment) -> str:
        if obj.next_reminder_at is None or obj.status != AppointmentStatus.BOOKED:
            return "—"
        return f"{timezone.localtime(obj.next_reminder_at, obj.time_zone):%a %d %b %Y, %H:%M %Z}"

    @admin.display(description=_("emails to the client"))
    def emails_sent(self, obj: Appointment) -> str:
        if obj.pk is None:
            return "—"
        rows = OutboundEmail.objects.filter(
            personaliser__in=appointments.OUR_PERSONALISERS, personalise_id=obj.pk, practice_id=obj.client.practice_id
        ).order_by("created_at", "pk")
        if not rows:
            return gettext("None yet (the client may not have agreed to appointment emails).")
        return format_html(
            "<ul style='margin:0;padding-left:1.2em'>{}</ul>",
            format_html_join(
                "",
                "<li>{} · {}</li>",
                ((row.subject, row.get_status_display()) for row in rows),
            ),
        )

    # --- Forms in the practice's zone ---------------------------------------------------------------------

    def get_changeform_initial_data(self, request: HttpRequest) -> dict[str, object]:
        initial = super().get_changeform_initial_data(request)
        initial.setdefault("therapist", request.user.pk)
        return initial

    def get_form(self, request: HttpRequest, obj: Appointment | None = None, change: bool = False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        if "starts_at" in form.base_fields:
            form.base_fields["starts_at"].help_text = gettext("In the practice's time zone (%(zone)s).") % {
                "zone": zone_for(request, obj)
            }
        return form

    def get_readonly_fields(self, request: HttpRequest, obj: Appointment | None = None):
        readonly = list(super().get_readonly_fields(request, obj))
        if obj is not None:
            readonly.append("client")  # an appointment stays with its client; book a new one instead
            if obj.status != AppointmentStatus.BOOKED:
                readonly += [
                    "therapist",
                    "starts_at",
                    "duration_minutes",
                    "kind",
                    "location",
                    "meeting_url",
                ]
        return readonly

    def _object_zone(self, request: HttpRequest, object_id: str | None) -> zoneinfo.ZoneInfo:
        obj = None
        if object_id and str(object_id).isdigit():
            obj = self.get_queryset(request).select_related("client__practice").filter(pk=object_id).first()
        return zone_for(request, obj)

    def changeform_view(self, request: HttpRequest, object_id=None, form_url="", extra_context=None):
        with timezone.override(self._object_zone(request, object_id)):
            try:
                return super().changeform_view(request, object_id, form_url, extra_context)
            except ValidationError as exc:  # lost a race for the slot after the form was checked
                self.message_user(request, _describe(exc), messages.ERROR)
                return HttpResponseRedirect(request.get_full_path())

    def changelist_view(self, request: HttpRequest, extra_context=None):
        with timezone.override(zone_for(request)):
            return super().changelist_view(request, extra_context)

    def save_model(self, request: HttpRequest, obj: Appointment, form, change: bool) -> None:
        """Book or change through the services, so emails, the calendar and reminders follow."""
        if not change:
            booked = appointments.appointment_book(
                client=obj.client,
                therapist=obj.therapist,
                starts_at=obj.starts_at,
                duration_minutes=obj.duration_minutes,
                kind=obj.kind,
                location=obj.location,
                meeting_url=obj.meeting_url,
                note=obj.note,
                booked_by=request.user,
            )
            appointments._refresh(obj, booked)
            return
        changes = {name: form.cleaned_data[name] for name in form.changed_data if name in appointments.CHANGEABLE}
        if changes:
            appointments.appointment_change(appointment=obj, **changes)

    # --- Status changes: buttons on the page and actions on the list ----------------------------------------

    def get_urls(self):
        def wrap(view):
            return self.admin_site.admin_view(view)

        return [
            path("<path:object_id>/status/<str:action>/", wrap(self.status_view), name="clients_appointment_status"),
            *super().get_urls(),
        ]

    STATUS_ACTIONS = {
        "cancel": (appointments.appointment_cancel, _("The appointment is cancelled.")),
        "completed": (appointments.appointment_mark_completed, _("Marked as completed.")),
        "no_show": (appointments.appointment_mark_no_show, _("Marked as did not attend.")),
    }

    def _run(self, request: HttpRequest, action: str, appointment: Appointment) -> None:
        """Change the status through its service and note who did it in the appointment's history."""
        service, done = self.STATUS_ACTIONS[action]
        service(appointment=appointment)
        self.log_change(request, appointment, str(done))

    def status_view(self, request: HttpRequest, object_id: str, action: str) -> HttpResponse:
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        appointment = self.get_object(request, object_id)  # out of scope: 404
        if action not in self.STATUS_ACTIONS:
            raise PermissionDenied
        if not self.has_change_permission(request, appointment):
            raise PermissionDenied
        try:
            self._run(request, action, appointment)
        except ValidationError as exc:
            self.message_user(request, _describe(exc), messages.ERROR)
        else:
            self.message_user(request, self.STATUS_ACTIONS[action][1], messages.SUCCESS)
        return HttpResponseRedirect(reverse("admin:clients_appointment_change", args=[appointment.pk]))

    def render_change_form(self, request: HttpRequest, context: dict, *args, obj=None, **kwargs) -> HttpResponse:
        if obj is not None and self.has_change_permission(request, obj):
            now = timezone.now()
            booked = obj.status == AppointmentStatus.BOOKED
            outcome = obj.status != AppointmentStatus.CANCELLED and obj.starts_at <= now
            context["status_actions"] = [
                (action, label)
                for action, label, allowed in (
                    ("cancel", _("Cancel the appointment"), booked),
                    ("completed", _("Mark as completed"), outcome and obj.status != AppointmentStatus.COMPLETED),
                    ("no_show", _("Mark as did not attend"), outcome and obj.status != AppointmentStatus.NO_SHOW),
                )
                if allowed
            ]
        return super().render_change_form(request, context, *args, obj=obj, **kwargs)

    def _bulk(self, request: HttpRequest, queryset, action: str) -> None:
        done, refused = 0, []
        for appointment in queryset.select_related("client__practice"):
            try:
                self._run(request, action, appointment)
            except ValidationError as exc:
                refused.append(f"{appointment}: {_describe(exc)}")
            else:
                done += 1
        if done:
            self.message_user(
                request,
                ngettext("%(count)d appointment changed.", "%(count)d appointments changed.", done) % {"count": done},
                messages.SUCCESS,
            )
        for message in refused:
            self.message_user(request, message, messages.WARNING)

    @admin.action(description=_("Cancel the selected appointments"), permissions=["change"])
    def cancel_selected(self, request: HttpRequest, queryset) -> None:
        self._bulk(request, queryset, "cancel")

    @admin.action(description=_("Mark the selected appointments as completed"), permissions=["change"])
    def mark_completed(self, request: HttpRequest, queryset) -> None:
        self._bulk(request, queryset, "completed")

    @admin.action(description=_("Mark the selected appointments as did not attend"), permissions=["change"])
    def mark_no_show(self, request: HttpRequest, queryset) -> None:
        self._bulk(request, queryset, "no_show")


class PlannedAssignmentInline(admin.TabularInline):
    """What the plan did for each appointment: the questionnaire it assigned, or why it skipped."""

    model = PlannedAssignment
    extra = 0
    can_delete = False
    fields = ["appointment", "assignment", "skipped", "reason", "created_at"]
    readonly_fields = fields
    verbose_name_plural = _("decisions, newest first")

    def has_add_permission(self, request: HttpRequest, obj: QuestionnairePlan | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: QuestionnairePlan | None = None) -> bool:
        return False

    def get_queryset(self, request: HttpRequest):
        return (
            super()
            .get_queryset(request)
            .for_user(request.user)
            .select_related("appointment__client__practice", "assignment__version")
        )


@admin.register(QuestionnairePlan)
class QuestionnairePlanAdmin(ScopedModelAdmin):
    list_display = ["client", "instrument", "timing_label", "expires_in_days", "active", "created_at"]
    list_filter = ["active", "timing"]
    search_fields = ["client__first_name", "client__last_name", "client__email", "instrument__title"]
    list_select_related = ["client", "instrument"]
    autocomplete_fields = ["client"]
    fields = [
        "client",
        "instrument",
        ("hours", "timing"),
        *("created_by_name" if name == "created_by" else name for name in QuestionnairePlan.SENDING_FIELDS),
    ]
    readonly_fields = ["created_by_name", "created_at"]
    inlines = [PlannedAssignmentInline]

    created_by_name = person_column("created_by", _("created by"))

    @admin.display(description=_("when"))
    def timing_label(self, obj: QuestionnairePlan) -> str:
        return gettext("%(hours)s hours %(timing)s") % {"hours": obj.hours, "timing": obj.get_timing_display()}

    def formfield_for_foreignkey(self, db_field: models.ForeignKey, request: HttpRequest, **kwargs):
        if db_field.name == "instrument":
            kwargs["queryset"] = (
                Instrument.objects.for_user(request.user).filter(versions__status=InstrumentStatus.PUBLISHED).distinct()
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_readonly_fields(self, request: HttpRequest, obj: QuestionnairePlan | None = None):
        readonly = list(super().get_readonly_fields(request, obj))
        if obj is not None:
            readonly.append("client")
        return readonly

    def save_model(self, request: HttpRequest, obj: QuestionnairePlan, form, change: bool) -> None:
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)
