"""Couples in the admin: link two clients, assign them a questionnaire, read the couple report.

Every page is scoped through ``Couple.objects.for_user``: a couple is seen by whoever may see both
partners, and another therapist's couple is a 404.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from assessments.models import AccessAction
from assessments.results import record_access
from clients.couples import services
from clients.couples.forms import CoupleAssignForm, CoupleForm
from clients.couples.models import Couple, CoupleAssignment
from clients.couples.report import couple_report
from practice.admin import ScopedModelAdmin


class CoupleAssignmentInline(admin.TabularInline):
    model = CoupleAssignment
    extra = 0
    can_delete = False
    fields = ["report_link", "status", "created_at", "completed_at", "summary_released_at"]
    readonly_fields = fields
    verbose_name_plural = _("couple questionnaires")

    @admin.display(description=_("questionnaire"))
    def report_link(self, obj: CoupleAssignment) -> str:
        url = reverse("admin:clients_coupleassignment_change", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, obj.version.title)

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def get_queryset(self, request: HttpRequest):
        return super().get_queryset(request).for_user(request.user).select_related("version")


@admin.register(Couple)
class CoupleAdmin(ScopedModelAdmin):
    form = CoupleForm
    list_display = ["__str__", "created_at", "ended_at"]
    list_filter = [("ended_at", admin.EmptyFieldListFilter)]
    search_fields = ["partner_a__first_name", "partner_a__last_name", "partner_b__first_name", "partner_b__last_name"]
    list_select_related = ["partner_a", "partner_b"]
    inlines = [CoupleAssignmentInline]
    change_form_template = "admin/clients/couple/change_form.html"

    def get_inlines(self, request: HttpRequest, obj: Couple | None = None):
        return self.inlines if obj is not None else []

    def get_fields(self, request: HttpRequest, obj: Couple | None = None):
        if obj is None:
            return ["partner_a", "partner_b"]
        return ["partner_a", "partner_b", "share_a", "share_b", "created_at", "ended_at"]

    def get_readonly_fields(self, request: HttpRequest, obj: Couple | None = None):
        if obj is None:
            return []
        return ["partner_a", "partner_b", "created_at", "ended_at"]

    def has_delete_permission(self, request: HttpRequest, obj: Couple | None = None) -> bool:
        return False  # unlink instead: history stays with each partner

    def save_model(self, request: HttpRequest, obj: Couple, form, change: bool) -> None:
        if not change:
            obj.practice_id = obj.partner_a.practice_id
            obj.created_by = request.user
            obj.save()
            return
        for partner, field in ((obj.partner_a, "share_a"), (obj.partner_b, "share_b")):
            if field in form.changed_data:
                services.couple_share_agreement(couple=obj, partner=partner, agreed=form.cleaned_data[field])

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("<path:object_id>/assign/", wrap(self.assign_view), name="clients_couple_assign"),
            path("<path:object_id>/unlink/", wrap(require_POST(self.unlink_view)), name="clients_couple_unlink"),
            *super().get_urls(),
        ]

    def _couple(self, request: HttpRequest, object_id: str, *, change: bool = True) -> Couple:
        couple = self.get_object(request, object_id)
        if change and not self.has_change_permission(request, couple):
            raise PermissionDenied
        return couple

    def assign_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        couple = self._couple(request, object_id)
        if not request.user.has_perm("clients.add_coupleassignment"):
            raise PermissionDenied
        form = CoupleAssignForm(request.POST or None, user=request.user)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                made = services.couple_assignment_create(
                    couple=couple,
                    version=data["version"],
                    expires_in_days=data["expires_in_days"],
                    message=data["message"],
                    different_order=data["different_order"],
                    assigned_by=request.user,
                )
            except services.CoupleError as exc:
                form.add_error(None, str(exc))
            else:
                self.message_user(
                    request, gettext("Assigned to both partners; each gets their own invitation."), messages.SUCCESS
                )
                return HttpResponseRedirect(reverse("admin:clients_coupleassignment_change", args=[made.pk]))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "form": form,
            "couple": couple,
            "title": gettext("Assign a questionnaire to the couple"),
        }
        return TemplateResponse(request, "admin/clients/couple/assign.html", context)

    def unlink_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        couple = self._couple(request, object_id)
        services.couple_unlink(couple=couple, by=request.user)
        self.message_user(request, gettext("Unlinked; each partner keeps their own history."), messages.SUCCESS)
        return HttpResponseRedirect(reverse("admin:clients_couple_change", args=[couple.pk]))


@admin.register(CoupleAssignment)
class CoupleAssignmentAdmin(ScopedModelAdmin):
    """A couple questionnaire's page is its report: scores side by side, the three lists, agreement over time."""

    list_display = ["__str__", "status", "created_at", "completed_at"]
    list_filter = ["status"]
    list_select_related = ["version", "couple__partner_a", "couple__partner_b"]
    search_fields = ["couple__partner_a__last_name", "couple__partner_b__last_name"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # from a couple's page

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("<path:object_id>/close/", wrap(require_POST(self.close_view)), name="clients_coupleassignment_close"),
            path("<path:object_id>/share/", wrap(require_POST(self.share_view)), name="clients_coupleassignment_share"),
            *super().get_urls(),
        ]

    def change_view(self, request: HttpRequest, object_id: str, form_url: str = "", extra_context=None):
        found = self.get_object(request, object_id)
        if not self.has_view_or_change_permission(request, found):
            raise PermissionDenied
        report = couple_report(found)
        if report.answered:
            record_access(
                user=request.user, action=AccessAction.VIEWED, responses=report.answered, note="couple report"
            )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "report": report,
            "couple": found.couple,
            "title": gettext("Couple report"),
            "may_change": self.has_change_permission(request, found),
        }
        return TemplateResponse(request, "admin/clients/coupleassignment/report.html", context)

    def _changed(self, request: HttpRequest, object_id: str) -> CoupleAssignment:
        found = self.get_object(request, object_id)
        if not self.has_change_permission(request, found):
            raise PermissionDenied
        return found

    def close_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        found = self._changed(request, object_id)
        try:
            services.couple_assignment_close(couple_assignment=found)
        except services.CoupleError as exc:
            self.message_user(request, str(exc), messages.ERROR)
        else:
            self.message_user(request, gettext("Closed; unanswered links stop working."), messages.SUCCESS)
        return HttpResponseRedirect(reverse("admin:clients_coupleassignment_change", args=[found.pk]))

    def share_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        found = self._changed(request, object_id)
        try:
            services.couple_summary_release(couple_assignment=found)
        except services.CoupleError as exc:
            self.message_user(request, str(exc), messages.ERROR)
        else:
            self.message_user(request, gettext("The joint summary is shared with both partners."), messages.SUCCESS)
        return HttpResponseRedirect(reverse("admin:clients_coupleassignment_change", args=[found.pk]))
