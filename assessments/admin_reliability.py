"""The version page's "Reliability from your responses": the estimate per scale, and adopting it.

A mixin of ``InstrumentVersionAdmin`` so the pages share its lookup of the version (and whatever
scoping that lookup does). Reading needs the permission to view versions and responses; adopting
is setting a scale's scoring parameter, so it needs the permission to change scales (owners in
Tandem), although it writes only the practice's own row, never the version.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from assessments import reliability, reliability_estimates
from assessments.document import DocumentError


class ReliabilityAdminMixin:
    def reliability_urls(self) -> list:
        wrap = self.admin_site.admin_view
        return [
            path(
                "<path:object_id>/reliability/",
                wrap(self.reliability_view),
                name="assessments_instrumentversion_reliability",
            ),
            path(
                "<path:object_id>/reliability/adopt/",
                wrap(require_POST(self.reliability_adopt_view)),
                name="assessments_instrumentversion_reliability_adopt",
            ),
        ]

    def _reliability_version(self, request: HttpRequest, object_id: str):
        if not request.user.has_perm("assessments.view_response"):
            raise PermissionDenied
        return self._version(request, object_id, "view")

    def reliability_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        version = self._reliability_version(request, object_id)
        try:
            scales = reliability_estimates.reliability_estimates(version=version, user=request.user)
        except DocumentError as exc:
            self.message_user(request, "; ".join(str(p) for p in exc.problems), messages.ERROR)
            return self._back(version)
        context = {
            **self.admin_site.each_context(request),
            "title": _("Reliability from your responses: %s") % version.title,
            "version": version,
            "scales": scales,
            "minimum": reliability.MIN_RESPONDENTS,
            "confidence": round(reliability.CONFIDENCE * 100),
            "can_adopt": request.user.has_perm("assessments.change_scale"),
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/assessments/instrumentversion/reliability.html", context)

    def reliability_adopt_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        version = self._reliability_version(request, object_id)
        if not request.user.has_perm("assessments.change_scale"):
            raise PermissionDenied
        scale_key = request.POST.get("scale", "")
        if request.POST.get("action") == "restore":
            reliability_estimates.reliability_unadopt(version=version, scale_key=scale_key, user=request.user)
            self.message_user(request, _("Back to the published reliability."), messages.SUCCESS)
        else:
            try:
                row = reliability_estimates.reliability_adopt(version=version, scale_key=scale_key, user=request.user)
            except reliability_estimates.AdoptionRefused as exc:
                self.message_user(request, str(exc), messages.ERROR)
            else:
                self.message_user(
                    request,
                    _("Adopted alpha %(alpha).2f, estimated from %(n)s responses, for reliable change.")
                    % {"alpha": row.reliability, "n": row.n},
                    messages.SUCCESS,
                )
        return HttpResponseRedirect(reverse("admin:assessments_instrumentversion_reliability", args=[version.pk]))
