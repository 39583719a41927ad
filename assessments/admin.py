"""Authoring instruments in the admin: drafts are edited, published versions are frozen.

A published or retired version is shown read-only; "Edit as a new version" copies it into a
draft, so responses keep pointing at the version they answered.

Every instrument page, custom view, action and dropdown reaches instruments through
``Instrument.objects.for_user`` (the library and the user's owners' own; anything else is a 404), and
changes them only through ``writable_by`` (their owners' own; a library instrument is a 403).
Versions, items and scales scope through their instrument.
"""

from __future__ import annotations

import json
from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, StreamingHttpResponse
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from assessments import app_settings, assignments, exports, results, services
from assessments.admin_assignment import AssignmentPageMixin
from assessments.admin_reliability import ReliabilityAdminMixin
from assessments.document import ITEM_FIELDS, DocumentError, Problem
from assessments.forms import ImportForm
from assessments.hooks import get_hooks
from assessments.models import (
    AccessAction,
    AccessEvent,
    AnswerOption,
    AnswerScale,
    Assignment,
    AssignmentSchedule,
    Band,
    Instrument,
    InstrumentVersion,
    Item,
    ItemType,
    Response,
    Scale,
)
from assessments.questions import page_questions


def person_name(user: Any) -> str:
    """A member of staff by name ("Uma Okafor"), their username if they gave none.

    Django's user API only: the engine knows nothing of its host's helpers.
    """
    if user is None:
        return "—"
    full_name = user.get_full_name() if hasattr(user, "get_full_name") else ""
    return full_name or user.get_username()


def _problems_message(error: DocumentError) -> str:
    return "; ".join(str(problem) for problem in error.problems)


def may_change(request: HttpRequest, instrument_id: int) -> bool:
    """Whether the user may change this instrument (its owner's people; a library one only a superuser)."""
    cache = request.__dict__.setdefault("_writable_instruments", {})
    if instrument_id not in cache:
        cache[instrument_id] = Instrument.objects.writable_by(request.user).filter(pk=instrument_id).exists()
    return cache[instrument_id]


class ForUserAdmin(admin.ModelAdmin):
    """Every row through its queryset's ``for_user``: what this user may not see is a 404."""

    def get_queryset(self, request: HttpRequest):
        return super().get_queryset(request).for_user(request.user)

    def get_object(self, request: HttpRequest, object_id: str, from_field: str | None = None):
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            raise Http404(_("Not found."))
        return obj


class InstrumentScopedAdmin(ForUserAdmin):
    """Instruments and what hangs off them: the library and the user's practices' own."""


class DraftOnlyMixin:
    """Content changes only while its version is a draft, of an instrument the user may change."""

    def version_of(self, obj) -> InstrumentVersion | None:
        raise NotImplementedError

    def _editable(self, request: HttpRequest, obj) -> bool:
        version = self.version_of(obj) if obj is not None else None
        return version is None or (version.is_draft and may_change(request, version.instrument_id))

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return super().has_change_permission(request, obj) and self._editable(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return super().has_delete_permission(request, obj) and self._editable(request, obj)

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        args = (request, obj) if isinstance(self, admin.options.InlineModelAdmin) else (request,)
        return super().has_add_permission(*args) and self._editable(request, obj)


#: An item's fields as the version page lists them; the item's own page adds the rest.
#: The document's own item fields come first, in the document's order (``options`` are an inline of their own).
ITEM_COLUMNS = ["order", *ITEM_FIELDS[: ITEM_FIELDS.index("options")], "min_value", "max_value", "risk_threshold"]


class VersionContentInline(DraftOnlyMixin, admin.TabularInline):
    extra = 0
    show_change_link = True

    def version_of(self, obj) -> InstrumentVersion | None:
        return obj


class AnswerScaleInline(VersionContentInline):
    model = AnswerScale
    fields = ["key", "label"]


class ItemInline(VersionContentInline):
    model = Item
    fields = ITEM_COLUMNS
    formfield_overrides = {models.TextField: {"widget": admin.widgets.AdminTextareaWidget(attrs={"rows": 2})}}

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "answer_scale":
            version_id = request.resolver_match.kwargs.get("object_id")
            kwargs["queryset"] = AnswerScale.objects.filter(version_id=version_id)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class ScaleInline(VersionContentInline):
    model = Scale
    fields = ["order", "key", "label", "is_total", "method", "max_missing", "clinical_cutoff", "higher_is_worse"]


class OwnershipFilter(admin.SimpleListFilter):
    title = _("whose")
    parameter_name = "whose"

    def lookups(self, request: HttpRequest, model_admin):
        return [("library", _("Library")), ("own", _("Your practice's own"))]

    def queryset(self, request: HttpRequest, queryset):
        if self.value() == "library":
            return queryset.library()
        if self.value() == "own":
            return queryset.filter(owner__isnull=False)
        return queryset


@admin.register(Instrument)
class InstrumentAdmin(InstrumentScopedAdmin):
    list_display = ["title", "slug", "whose", "published", "version_count"]
    list_filter = [OwnershipFilter]
    search_fields = ["title", "slug"]
    readonly_fields = ["slug", "title", "whose", "versions_list"]
    fields = ["slug", "title", "whose", "versions_list"]
    actions = ["make_copy"]

    def get_queryset(self, request: HttpRequest):
        published = InstrumentVersion.objects.published().filter(instrument=models.OuterRef("pk"))
        return (
            super()
            .get_queryset(request)
            .select_related("owner")
            .annotate(
                version_count=models.Count("versions"),
                published_label=models.Subquery(published.values("label")[:1]),
            )
        )

    @admin.display(description=_("versions"), ordering="version_count")
    def version_count(self, obj: Instrument) -> int:
        return obj.version_count

    @admin.display(description=_("whose"), ordering="owner")
    def whose(self, obj: Instrument) -> str:
        return str(obj.owner) if obj.owner_id else _("Library")

    def has_change_permission(self, request: HttpRequest, obj: Instrument | None = None) -> bool:
        return super().has_change_permission(request, obj) and (obj is None or may_change(request, obj.pk))

    def has_delete_permission(self, request: HttpRequest, obj: Instrument | None = None) -> bool:
        return super().has_delete_permission(request, obj) and (obj is None or may_change(request, obj.pk))

    def has_copy_permission(self, request: HttpRequest) -> bool:
        """Authors who act for an owner copy instruments into it (a superuser adds to the library by import)."""
        return request.user.has_perm("assessments.add_instrumentversion") and (
            get_hooks().owner_for_new_instrument(request.user) is not None
        )

    @admin.action(description=_("Make a copy for my practice"), permissions=["copy"])
    def make_copy(self, request: HttpRequest, queryset) -> HttpResponse | None:
        owner = get_hooks().owner_for_new_instrument(request.user)
        drafts = []
        for instrument in queryset:
            try:
                drafts.append(services.instrument_copy(instrument, owner_id=getattr(owner, "pk", owner)))
            except DocumentError as exc:
                self.message_user(request, f"{instrument}: {_problems_message(exc)}", messages.WARNING)
        for draft in drafts:
            self.message_user(
                request,
                _("%(title)s is now your own draft, %(slug)s: adapt it, then publish it.")
                % {"title": draft.title, "slug": draft.instrument.slug},
                messages.SUCCESS,
            )
        if len(drafts) == 1:
            return HttpResponseRedirect(reverse("admin:assessments_instrumentversion_change", args=[drafts[0].pk]))
        return None

    def copy_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """The "Make a copy for my practice" button of an instrument's page: POST only."""
        if request.method != "POST":
            return HttpResponse(status=405, headers={"Allow": "POST"})
        instrument = self.get_object(request, object_id)
        if not self.has_copy_permission(request):
            raise PermissionDenied
        response = self.make_copy(request, Instrument.objects.filter(pk=instrument.pk))
        return response or HttpResponseRedirect(reverse("admin:assessments_instrument_change", args=[instrument.pk]))

    def change_view(self, request: HttpRequest, object_id: str, form_url: str = "", extra_context=None):
        extra = {"can_copy": self.has_copy_permission(request)}
        return super().change_view(request, object_id, form_url, {**(extra_context or {}), **extra})

    @admin.display(description=_("published version"))
    def published(self, obj: Instrument) -> str:
        return obj.published_label or "—"

    @admin.display(description=_("versions"))
    def versions_list(self, obj: Instrument) -> str:
        return render_to_string("assessments/admin/versions_list.html", {"versions": obj.versions.all()})

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # instruments come from an import or a new draft version

    def get_urls(self):
        urls = [
            path(
                "import/",
                self.admin_site.admin_view(self.import_view),
                name="assessments_instrument_import",
            ),
            path(
                "<path:object_id>/copy/",
                self.admin_site.admin_view(self.copy_view),
                name="assessments_instrument_copy",
            ),
        ]
        return urls + super().get_urls()

    def import_view(self, request: HttpRequest) -> HttpResponse:
        if not request.user.has_perm("assessments.add_instrumentversion"):
            raise PermissionDenied
        form = ImportForm(request.POST or None, request.FILES or None)
        problems: list = []
        status = 200
        if request.method == "POST" and form.is_valid():
            try:
                version, warnings = services.instrument_import(
                    form.cleaned_data["file"].read(), publish=form.cleaned_data["publish"], user=request.user
                )
            except DocumentError as exc:
                problems = exc.problems
            except services.InstrumentNotWritable as exc:
                if not exc.visible:
                    raise Http404(_("Not found.")) from exc
                problems, status = [Problem("$.slug", str(exc))], 403
            else:
                for warning in warnings:
                    self.message_user(request, warning, messages.WARNING)
                self.message_user(
                    request,
                    _("Imported %(title)s, version %(label)s (%(status)s).")
                    % {"title": version.title, "label": version.label, "status": version.get_status_display()},
                )
                return HttpResponseRedirect(reverse("admin:assessments_instrumentversion_change", args=[version.pk]))
        context = {
            **self.admin_site.each_context(request),
            "title": _("Import a questionnaire"),
            "form": form,
            "problems": problems,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/assessments/instrument/import.html", context, status=status)


class QuestionnaireFilter(admin.RelatedFieldListFilter):
    """Filter by questionnaire among those the user may see (the library and their own).

    ``RelatedOnlyFieldListFilter`` would list only the questionnaires that appear in the rows, which costs a
    pass over every response or assignment in scope on each page of the list: 21 ms at 50,000 responses on
    an idle machine, 74 ms on a busy one (``bench/export.py``). The questionnaires a user may see are a short
    list: 1.2 ms.
    """

    def field_choices(self, field, request, model_admin):
        visible = models.Q(pk__in=Instrument.objects.for_user(request.user).values("pk"))
        return field.get_choices(
            include_blank=False,
            limit_choices_to=visible,
            ordering=self.field_admin_ordering(field, request, model_admin),
        )


@admin.register(InstrumentVersion)
class InstrumentVersionAdmin(ReliabilityAdminMixin, InstrumentScopedAdmin):
    list_display = ["title", "label", "number", "status", "published_at"]
    list_filter = ["status", ("instrument", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["title", "instrument__slug"]
    list_select_related = ["instrument"]
    readonly_fields = ["instrument", "number", "status", "published_at", "retired_at", "based_on_link"]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "instrument",
                    "number",
                    "label",
                    "status",
                    "published_at",
                    "retired_at",
                    "based_on_link",
                    "couples",
                ]
            },
        ),
        (_("What people read"), {"fields": ["title", "description", "instructions", "copyright"]}),
    ]
    inlines = [AnswerScaleInline, ItemInline, ScaleInline]
    change_form_template = "admin/assessments/instrumentversion/change_form.html"

    @admin.display(description=_("based on"))
    def based_on_link(self, obj: InstrumentVersion) -> str:
        if not obj.based_on_id:
            return "—"
        url = reverse("admin:assessments_instrumentversion_change", args=[obj.based_on_id])
        return format_html('<a href="{}">{}</a>', url, obj.based_on)  # the admin's own helper for a link column

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # a version starts as an import or as a copy of another

    def render_change_form(self, request: HttpRequest, context, add=False, change=False, form_url="", obj=None):
        """Offer only the buttons this user may press, and say what a draft still lacks, with where to add it."""
        writable = obj is not None and may_change(request, obj.instrument_id)
        context["may_publish"] = writable and request.user.has_perm("assessments.change_instrumentversion")
        context["may_copy"] = writable and request.user.has_perm("assessments.add_instrumentversion")
        context["still_needs"] = self._still_needs(obj) if obj is not None and obj.is_draft else []
        return super().render_change_form(request, context, add, change, form_url, obj)

    @staticmethod
    def _still_needs(version: InstrumentVersion) -> list[dict[str, str]]:
        """What a draft lacks before it can be published and flag risk: each with the page where it is added."""
        needs = [
            {
                "text": _("Scale “%s” needs bands (and check its clinical cut-off and direction).") % scale.label,
                "url": reverse("admin:assessments_scale_change", args=[scale.pk]),
            }
            for scale in version.scales.filter(bands__isnull=True)
        ]
        if version.scales.exists() and not version.items.filter(risk_threshold__isnull=False).exists():
            needs.append(
                {
                    "text": _(
                        "No risk items are set: give any question that needs attention on its own (such as one "
                        "about self-harm) a risk threshold in the questions below."
                    ),
                    "url": "#items-group",
                }
            )
        return needs

    def _mine(self, request: HttpRequest, obj: InstrumentVersion | None) -> bool:
        return obj is None or (obj.is_draft and may_change(request, obj.instrument_id))

    def has_change_permission(self, request: HttpRequest, obj: InstrumentVersion | None = None) -> bool:
        return super().has_change_permission(request, obj) and self._mine(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: InstrumentVersion | None = None) -> bool:
        return super().has_delete_permission(request, obj) and self._mine(request, obj)

    def get_urls(self):
        def view(name: str, func):
            return path(
                f"<path:object_id>/{name}/",
                self.admin_site.admin_view(func),
                name=f"assessments_instrumentversion_{name.replace('-', '_')}",
            )

        return [
            view("publish", self.publish_view),
            view("new-version", self.new_version_view),
            view("retire", self.retire_view),
            view("preview", self.preview_view),
            view("export", self.export_view),
            *self.reliability_urls(),
            *super().get_urls(),
        ]

    def _version(self, request: HttpRequest, object_id: str, permission: str) -> InstrumentVersion:
        """The version if the user may see it (else 404) and, to change it, may change its instrument (else 403)."""
        if not request.user.has_perm(f"assessments.{permission}_instrumentversion"):
            raise PermissionDenied
        version = get_object_or_404(
            InstrumentVersion.objects.for_user(request.user).select_related("instrument"), pk=object_id
        )
        if permission != "view" and not may_change(request, version.instrument_id):
            raise PermissionDenied
        return version

    def _back(self, version: InstrumentVersion) -> HttpResponseRedirect:
        return HttpResponseRedirect(reverse("admin:assessments_instrumentversion_change", args=[version.pk]))

    def publish_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        return require_POST(self._publish)(request, object_id)

    def _publish(self, request: HttpRequest, object_id: str) -> HttpResponse:
        version = self._version(request, object_id, "change")
        try:
            services.version_publish(version)
        except DocumentError as exc:
            self.message_user(request, _("Not published: %s") % _problems_message(exc), messages.ERROR)
        else:
            self.message_user(request, _("Published. Earlier published versions are now retired."))
        return self._back(version)

    def new_version_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        return require_POST(self._new_version)(request, object_id)

    def _new_version(self, request: HttpRequest, object_id: str) -> HttpResponse:
        version = self._version(request, object_id, "add")
        draft = services.version_new_draft(version)
        self.message_user(
            request,
            _("Version %(number)s is a draft copy of version %(old)s: edit it, then publish it.")
            % {"number": draft.number, "old": version.number},
        )
        return self._back(draft)

    def retire_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        return require_POST(self._retire)(request, object_id)

    def _retire(self, request: HttpRequest, object_id: str) -> HttpResponse:
        version = self._version(request, object_id, "change")
        try:
            services.version_retire(version)
        except DocumentError as exc:
            self.message_user(request, _problems_message(exc), messages.ERROR)
        else:
            self.message_user(request, _("Retired: it can no longer be assigned; its answers stay readable."))
        return self._back(version)

    def preview_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        version = self._version(request, object_id, "view")
        try:
            form = services.published_form(version)
        except DocumentError as exc:
            self.message_user(request, _("Cannot preview yet: %s") % _problems_message(exc), messages.ERROR)
            return self._back(version)
        context = {
            **self.admin_site.each_context(request),
            "title": _("Preview: %s") % version.title,
            "version": version,
            "pages": [{**page, "questions": page_questions(form, page["items"])} for page in form.pages],
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/assessments/instrumentversion/preview.html", context)

    def export_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        version = self._version(request, object_id, "view")
        try:
            data = services.version_export(version)
        except DocumentError as exc:
            self.message_user(request, _("Cannot export yet: %s") % _problems_message(exc), messages.ERROR)
            return self._back(version)
        suffix = "json"
        if request.GET.get("format") == "fhir":
            data, suffix = exports.questionnaire_resource(data), "fhir.json"
        response = HttpResponse(json.dumps(data, indent=2, ensure_ascii=False), content_type="application/json")
        filename = f"{version.instrument.slug}-{version.label}.{suffix}".replace('"', "")
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response


class ContentAdmin(DraftOnlyMixin, InstrumentScopedAdmin):
    """Pages reached from a version's inlines; hidden from the index."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # added from the version's page


class PartInline(DraftOnlyMixin, admin.TabularInline):
    """An inline on the page of an item, answer scale or scale: editable while their version is a draft."""

    extra = 0

    def version_of(self, obj) -> InstrumentVersion | None:
        return obj.version if obj else None


class ItemOptionInline(PartInline):
    model = AnswerOption
    fk_name = "item"
    fields = ["order", "code", "label", "value", "system"]


class ScaleOptionInline(ItemOptionInline):
    fk_name = "answer_scale"


@admin.register(Item)
class ItemAdmin(ContentAdmin):
    inlines = [ItemOptionInline]
    fields = ["version", *ITEM_COLUMNS, "risk_label", "enable_when"]
    readonly_fields = ["version"]

    def version_of(self, obj: Item) -> InstrumentVersion | None:
        return obj.version

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "answer_scale":
            item = Item.objects.filter(pk=request.resolver_match.kwargs.get("object_id")).first()
            kwargs["queryset"] = AnswerScale.objects.filter(version_id=item.version_id if item else None)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(AnswerScale)
class AnswerScaleAdmin(ContentAdmin):
    inlines = [ScaleOptionInline]
    fields = ["version", "key", "label"]
    readonly_fields = ["version"]

    def version_of(self, obj: AnswerScale) -> InstrumentVersion | None:
        return obj.version


class BandInline(PartInline):
    model = Band
    fields = ["low", "high", "label", "severity", "meaning"]
    formfield_overrides = {models.TextField: {"widget": admin.widgets.AdminTextareaWidget(attrs={"rows": 2})}}


@admin.register(Scale)
class ScaleAdmin(ContentAdmin):
    inlines = [BandInline]
    fields = [
        "version",
        "key",
        "label",
        "is_total",
        "method",
        "max_missing",
        "items",
        "clinical_cutoff",
        "higher_is_worse",
        "reference_sd",
        "reliability",
        "reliable_change_threshold",
        "reliable_change_source",
    ]
    readonly_fields = ["version"]
    filter_horizontal = ["items"]

    def version_of(self, obj: Scale) -> InstrumentVersion | None:
        return obj.version

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "items":
            scale = Scale.objects.filter(pk=request.resolver_match.kwargs.get("object_id")).first()
            kwargs["queryset"] = Item.objects.filter(
                version_id=scale.version_id if scale else None, type__in=[ItemType.SINGLE_CHOICE, ItemType.INTEGER]
            )
        return super().formfield_for_manytomany(db_field, request, **kwargs)


# --- Assignments, responses and repeating questionnaires: what therapists see of their respondents ----------------


class RespondentScopedAdmin(ForUserAdmin):
    """Rows about respondents the host's hooks let this user see."""

    #: Read-only fields for whoever the host says may see them (``sees_technical_details``): a collapsed
    #: "Technical details" section at the end of a row's page; nobody else sees them.
    technical_fields: tuple[str, ...] = ()

    @admin.display(description=app_settings.get_respondent_model()._meta.verbose_name, ordering="respondent")
    def respondent_name(self, obj) -> str:
        """The respondent as the host names its kind ("client" in a practice), not as "respondent"."""
        return str(obj.respondent) if obj.respondent_id else "—"

    def shows_technical_details(self, request: HttpRequest, obj) -> bool:
        if obj is None or not self.technical_fields:
            return False
        cache = request.__dict__.setdefault("_technical_details", {})
        key = (self.model._meta.label, obj.pk)
        if key not in cache:
            cache[key] = get_hooks().sees_technical_details(request.user, obj.respondent_id)
        return cache[key]

    def get_fieldsets(self, request: HttpRequest, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if self.shows_technical_details(request, obj):
            technical = {"fields": list(self.technical_fields), "classes": ["collapse"]}
            fieldsets = [*fieldsets, (_("Technical details"), technical)]
        return fieldsets

    def get_readonly_fields(self, request: HttpRequest, obj=None) -> list[str]:
        readonly = list(super().get_readonly_fields(request, obj))
        return [*readonly, *(name for name in self.technical_fields if name not in readonly)]

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False  # records of care: erasure is its own, audited, process


def scores_table(scores: dict) -> str:
    """A response's stored scores as a small HTML table, risk flags first."""
    if not scores:
        return "—"
    scales = [
        {**scale, "shown": "" if scale["value"] is None else f"{scale['value']:g}"}
        for scale in scores.get("scales", {}).values()
    ]
    context = {"risk_flags": scores.get("risk_flags", []), "scales": scales}
    return render_to_string("assessments/admin/scores_table.html", context)


@admin.register(Assignment)
class AssignmentAdmin(AssignmentPageMixin, RespondentScopedAdmin):
    list_display = ["respondent_name", "questionnaire", "status", "sent_at", "expires_at", "completed_at", "flag"]
    list_filter = ["status", ("version__instrument", QuestionnaireFilter)]
    list_select_related = ["respondent", "version", "response"]
    date_hierarchy = "send_at"
    actions = ["resend", "extend_week", "cancel"]
    fieldsets = [
        (None, {"fields": ["respondent_name", "version", "status", "note", "scores"]}),
        (_("Timeline"), {"fields": ["timeline"]}),
        (_("Settings"), {"fields": ["message", "release_scores", "assigned_by_name", "schedule"]}),
        (_("Emails"), {"fields": ["invitations_sent", "link_issued_at"]}),
    ]
    technical_fields = (
        "reminders_sent",
        "reminders_emailed",
        "next_reminder_at",
        "last_page",
        "question_order_seed",
        "working_links",
    )

    def get_readonly_fields(self, request: HttpRequest, obj=None) -> list[str]:
        shown = [name for _title, options in self.fieldsets for name in options["fields"]]
        return [*shown, *self.technical_fields]

    @admin.display(description=_("working private links"))
    def working_links(self, obj: Assignment) -> str:
        """How many links work now and when each was issued; never their hashes."""
        issued = [timezone.localtime(link.issued_at) for link in obj.links.order_by("issued_at")]
        return ", ".join(f"{moment:%d %b %Y, %H:%M}" for moment in issued) or "—"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # assigned from the respondent's page, where consent is checked

    def change_view(self, request: HttpRequest, object_id: str, form_url: str = "", extra_context=None):
        """Read-only: an assignment changes through its actions (resend, extend, cancel), never by editing."""
        extra = {"show_save": False, "show_save_and_continue": False, "show_save_and_add_another": False}
        return super().change_view(request, object_id, form_url, {**(extra_context or {}), **extra})

    @admin.display(description=_("questionnaire"), ordering="version__title")
    def questionnaire(self, obj: Assignment) -> str:
        return obj.version.title

    @admin.display(description=_("assigned by"))
    def assigned_by_name(self, obj: Assignment) -> str:
        return person_name(obj.assigned_by)

    @admin.display(description=_("what happened"))
    def timeline(self, obj: Assignment) -> str:
        return self.timeline_html(obj)

    def get_urls(self):
        return [*self.assignment_page_urls(), *super().get_urls()]

    @admin.display(description=_("risk"), boolean=True)
    def flag(self, obj: Assignment) -> bool | None:
        return obj.response.flagged if obj.response_id else None

    @admin.display(description=_("scores"))
    def scores(self, obj: Assignment) -> str:
        return scores_table(obj.response.scores) if obj.response_id else "—"

    def _each(self, request: HttpRequest, queryset, use_case, done: str) -> None:
        changed, refused = 0, []
        for assignment in queryset:
            try:
                use_case(assignment)
            except assignments.AssignmentError as exc:
                refused.append(f"{assignment.respondent}: {exc}")
            else:
                changed += 1
        if changed:
            self.message_user(request, done % {"count": changed}, messages.SUCCESS)
        for message in refused:
            self.message_user(request, message, messages.WARNING)

    @admin.action(description=_("Send again with a new link (the old one stops working)"), permissions=["change"])
    def resend(self, request: HttpRequest, queryset) -> None:
        self._each(
            request,
            queryset,
            lambda a: assignments.assignment_resend(assignment=a),
            _("Sent again with a new link: %(count)s."),
        )

    @admin.action(description=_("Give 7 more days"), permissions=["change"])
    def extend_week(self, request: HttpRequest, queryset) -> None:
        self._each(
            request,
            queryset,
            lambda a: assignments.assignment_extend(assignment=a, days=7),
            _("Extended by 7 days: %(count)s."),
        )

    @admin.action(description=_("Cancel (the link stops working)"), permissions=["change"])
    def cancel(self, request: HttpRequest, queryset) -> None:
        self._each(request, queryset, lambda a: assignments.assignment_cancel(assignment=a), _("Cancelled: %(count)s."))


@admin.register(Response)
class ResponseAdmin(RespondentScopedAdmin):
    """Responses are read, reviewed and exported; never edited. Every look is in the access log."""

    list_display = ["respondent_name", "questionnaire", "completed_at", "flagged", "reviewed_at"]
    list_filter = [
        "flagged",
        ("reviewed_at", admin.EmptyFieldListFilter),
        ("version__instrument", QuestionnaireFilter),
    ]
    list_select_related = ["respondent", "version"]
    date_hierarchy = "completed_at"
    change_form_template = "admin/assessments/response/change_form.html"
    change_list_template = "admin/assessments/response/change_list.html"
    actions = ["mark_reviewed", "export_csv", "export_fhir"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    @admin.display(description=_("questionnaire"), ordering="version__title")
    def questionnaire(self, obj: Response) -> str:
        return obj.version.title

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("queue/", wrap(self.queue_view), name="assessments_response_queue"),
            path(
                "export/<str:kind>/", wrap(require_POST(self.export_matching_view)), name="assessments_response_export"
            ),
            path("<path:object_id>/review/", wrap(require_POST(self.review_view)), name="assessments_response_review"),
            *super().get_urls(),
        ]

    def get_queryset(self, request: HttpRequest):
        return (
            super()
            .get_queryset(request)
            .select_related("version", "version__instrument", "respondent", "reviewed_by")
            .defer("version__definition")  # kilobytes of JSON per row; the parsed form comes once per version
        )

    def change_view(self, request: HttpRequest, object_id: str, form_url: str = "", extra_context=None):
        response_row = self.get_object(request, object_id)
        if not self.has_view_permission(request, response_row):
            raise PermissionDenied
        results.record_access(user=request.user, action=AccessAction.VIEWED, responses=[response_row])
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": response_row,
            "title": str(response_row),
            "detail": results.response_detail(response_row, user=request.user),
            "can_review": request.user.has_perm("assessments.view_response"),
            **(extra_context or {}),
        }
        return TemplateResponse(request, self.change_form_template, context)

    def review_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        response_row = self.get_object(request, object_id)
        results.responses_mark_reviewed(responses=Response.objects.filter(pk=response_row.pk), user=request.user)
        self.message_user(request, _("Marked as reviewed."), messages.SUCCESS)
        if request.POST.get("next") == "queue":
            return HttpResponseRedirect(reverse("admin:assessments_response_queue"))
        return HttpResponseRedirect(reverse("admin:assessments_response_change", args=[response_row.pk]))

    def queue_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        queue = results.review_queue(request.user)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Review queue"),
            "queue": queue,
        }
        return TemplateResponse(request, "admin/assessments/response/queue.html", context)

    @admin.action(description=_("Mark as reviewed"), permissions=["view"])
    def mark_reviewed(self, request: HttpRequest, queryset) -> None:
        count = results.responses_mark_reviewed(responses=queryset, user=request.user)
        self.message_user(request, _("Marked as reviewed: %(count)s.") % {"count": count}, messages.SUCCESS)

    #: The downloads: what the access log calls each, how it streams, its type and its file's ending.
    EXPORTS = {
        "csv": ("CSV", exports.stream_responses_csv, "text/csv; charset=utf-8", "csv"),
        "fhir": ("FHIR bundle", exports.stream_responses_fhir, "application/fhir+json", "json"),
    }

    def _export(self, request: HttpRequest, queryset, kind: str) -> HttpResponse | None:
        """Stream the responses as a download, logging who exported whose; nothing if none are visible."""
        what, stream, content_type, suffix = self.EXPORTS[kind]
        rows = queryset.order_by("completed_at", "pk")
        count = rows.count()
        if not count:
            self.message_user(request, _("None of the selected responses can be exported."), messages.WARNING)
            return None
        logged = rows.select_related(None).only("pk", "respondent_id").iterator(chunk_size=exports.CHUNK_SIZE)
        note = f"{what} of {count} responses"
        results.record_access(user=request.user, action=AccessAction.EXPORTED, responses=logged, note=note)
        response = StreamingHttpResponse(stream(rows), content_type=content_type)
        response["Content-Disposition"] = f'attachment; filename="responses-{timezone.localdate():%Y%m%d}.{suffix}"'
        response["Cache-Control"] = "no-store"
        return response

    @admin.action(description=_("Export as CSV"), permissions=["view"])
    def export_csv(self, request: HttpRequest, queryset) -> HttpResponse | None:
        return self._export(request, queryset, "csv")

    @admin.action(description=_("Export as FHIR QuestionnaireResponse (JSON)"), permissions=["view"])
    def export_fhir(self, request: HttpRequest, queryset) -> HttpResponse | None:
        return self._export(request, queryset, "fhir")

    def export_matching_view(self, request: HttpRequest, kind: str) -> HttpResponse:
        """Export every response the list shows with its filters and search, without ticking rows."""
        if kind not in self.EXPORTS:
            raise Http404
        if not self.has_view_permission(request):
            raise PermissionDenied
        changelist = self.get_changelist_instance(request)
        reply = self._export(request, changelist.get_queryset(request), kind)
        return reply or HttpResponseRedirect(
            reverse("admin:assessments_response_changelist") + changelist.get_query_string()
        )


@admin.register(AccessEvent)
class AccessEventAdmin(RespondentScopedAdmin):
    """The access log: read-only, append-only, because it is the practice's evidence."""

    list_display = ["at", "who", "action", "respondent_name", "response", "note"]
    list_filter = ["action"]
    list_select_related = ["respondent", "response", "user"]
    date_hierarchy = "at"
    readonly_fields = ["at", "who", "action", "respondent_name", "response", "note"]
    fields = readonly_fields

    @admin.display(description=_("who"), ordering="username")
    def who(self, obj: AccessEvent) -> str:
        """By name while the account exists; the username kept in the log once it is gone."""
        return person_name(obj.user) if obj.user_id else obj.username or "—"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(AssignmentSchedule)
class AssignmentScheduleAdmin(RespondentScopedAdmin):
    list_display = [
        "respondent_name",
        "instrument",
        "every_weeks",
        "occurrences",
        "max_occurrences",
        "next_at",
        "active",
    ]
    list_filter = ["active"]
    list_select_related = ["respondent", "instrument"]
    actions = ["stop"]
    readonly_fields = [
        "respondent_name",
        "instrument",
        "every_weeks",
        "max_occurrences",
        "occurrences",
        "next_at",
        "expires_in_days",
        "message",
        "release_scores",
        "assigned_by_name",
        "active",
        "ended_reason",
    ]
    fields = readonly_fields  # nothing is edited here: a schedule changes only by being stopped

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.display(description=_("assigned by"))
    def assigned_by_name(self, obj: AssignmentSchedule) -> str:
        return person_name(obj.assigned_by)

    @admin.action(description=_("Stop repeating"), permissions=["change"])
    def stop(self, request: HttpRequest, queryset) -> None:
        for schedule in queryset:
            assignments.schedule_stop(schedule=schedule)
        self.message_user(request, _("Stopped."), messages.SUCCESS)
