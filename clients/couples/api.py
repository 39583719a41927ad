"""The staff API for couples: link, unlink, agree to share, assign to both, close, the report.

Scoped like the admin (``Couple.objects.for_user``): a couple is seen by whoever may see both partners;
anything else is a 404. The conventions (strict JSON types, per-action permissions, id filters) are
``assessments.api.conventions``.
"""

from __future__ import annotations

from typing import Any

import django_filters
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view, inline_serializer
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from assessments.api.conventions import STAFF_PERMISSIONS, IdFilter, StrictBooleanField, StrictIntegerField
from assessments.api.serializers import InstrumentField
from assessments.models import AccessAction
from assessments.results import record_access
from clients.api.serializers import ClientField, TextField
from clients.couples import services
from clients.couples.models import Couple, CoupleAssignment
from clients.couples.report import couple_report
from clients.models import Client


class CoupleSerializer(serializers.ModelSerializer):
    partner_a = ClientField(help_text="A client's id; only your clients (an owner: the practice's).")
    partner_b = ClientField(help_text="The other partner's id, a client of the same practice.")
    is_active = serializers.BooleanField(read_only=True)

    class Meta:
        model = Couple
        fields = [
            "id",
            "partner_a",
            "partner_b",
            "is_active",
            "share_agreed_a_at",
            "share_agreed_b_at",
            "created_at",
            "ended_at",
        ]
        read_only_fields = ["id", "is_active", "share_agreed_a_at", "share_agreed_b_at", "created_at", "ended_at"]

    def create(self, validated_data: dict[str, Any]) -> Couple:
        try:
            return services.couple_link(**validated_data, by=self.context["request"].user)
        except services.CoupleError as exc:
            raise ValidationError({"partner_b": [str(exc)]}) from exc


class ShareAgreementSerializer(serializers.Serializer):
    partner = ClientField(help_text="Which partner (a client id) agreed, or withdrew.")
    agreed = StrictBooleanField()


class CoupleAssignmentSerializer(serializers.ModelSerializer):
    couple = serializers.PrimaryKeyRelatedField(
        queryset=Couple.objects.none(), help_text="The couple's id; only couples whose partners are both yours."
    )
    instrument = InstrumentField(write_only=True, help_text="The slug of a published questionnaire suited to couples.")
    expires_in_days = StrictIntegerField(write_only=True, min_value=1, max_value=60, default=14)
    message = TextField(write_only=True, max_length=1000, allow_blank=True, default="")
    different_order = StrictBooleanField(default=False)
    questionnaire = serializers.CharField(source="version.title", read_only=True)

    class Meta:
        model = CoupleAssignment
        read_only_fields = [
            "id",
            "questionnaire",
            "status",
            "assignment_a",
            "assignment_b",
            "created_at",
            "completed_at",
            "closed_at",
            "summary_released_at",
        ]
        fields = ["couple", "instrument", "expires_in_days", "message", "different_order", *read_only_fields]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            self.fields["couple"].queryset = Couple.objects.for_user(request.user)

    def to_internal_value(self, data: Any) -> Any:
        couple = data.get("couple") if isinstance(data, dict) else None
        if couple is not None and (isinstance(couple, bool) or not isinstance(couple, int)):
            raise ValidationError({"couple": ["Must be a whole number."]})
        return super().to_internal_value(data)

    def create(self, validated_data: dict[str, Any]) -> CoupleAssignment:
        version = validated_data["instrument"].published_version
        if version is None:
            raise ValidationError({"instrument": ["This questionnaire has no published version."]})
        try:
            return services.couple_assignment_create(
                couple=validated_data["couple"],
                version=version,
                expires_in_days=validated_data["expires_in_days"],
                message=validated_data["message"],
                different_order=validated_data["different_order"],
                assigned_by=self.context["request"].user,
            )
        except services.CoupleError as exc:
            raise ValidationError({"instrument": [str(exc)]}) from exc


class CoupleFilter(django_filters.FilterSet):
    client = IdFilter(method="with_client", help_text="Couples with this client as a partner.")

    class Meta:
        model = Couple
        fields: list[str] = []

    def with_client(self, queryset, name: str, value: Any):
        return queryset.of(value)


@extend_schema_view(
    list=extend_schema(summary="List couples whose partners you can both see"),
    retrieve=extend_schema(summary="One couple"),
    create=extend_schema(summary="Link two clients of one practice as a couple"),
)
class CoupleViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet):
    serializer_class = CoupleSerializer
    lookup_value_regex = r"[0-9]+"
    permission_classes = STAFF_PERMISSIONS
    action_permissions = {
        "list": "clients.view_couple",
        "retrieve": "clients.view_couple",
        "metadata": "clients.view_couple",
        "create": "clients.add_couple",
        "unlink": "clients.change_couple",
        "share_agreement": "clients.change_couple",
    }
    filterset_class = CoupleFilter

    def get_queryset(self):
        return Couple.objects.for_user(self.request.user).order_by("-created_at", "-pk")

    def get_serializer_context(self) -> dict:
        return {**super().get_serializer_context(), "clients": Client.objects.for_user(self.request.user)}

    @extend_schema(
        summary="Unlink the couple; each partner keeps their history", request=None, responses={200: CoupleSerializer}
    )
    @action(detail=True, methods=["post"])
    def unlink(self, request: Request, pk: str | None = None) -> Response:
        couple = services.couple_unlink(couple=self.get_object(), by=request.user)
        return Response(self.get_serializer(couple).data)

    @extend_schema(
        summary="Record that a partner agreed (or no longer agrees) to share a joint summary",
        request=ShareAgreementSerializer,
        responses={200: CoupleSerializer},
    )
    @action(detail=True, methods=["post"], url_path="share-agreement")
    def share_agreement(self, request: Request, pk: str | None = None) -> Response:
        couple = self.get_object()
        incoming = ShareAgreementSerializer(data=request.data, context=self.get_serializer_context())
        incoming.is_valid(raise_exception=True)
        try:
            couple = services.couple_share_agreement(
                couple=couple, partner=incoming.validated_data["partner"], agreed=incoming.validated_data["agreed"]
            )
        except services.CoupleError as exc:
            raise ValidationError({"partner": [str(exc)]}) from exc
        return Response(self.get_serializer(couple).data)


CONFLICT = OpenApiResponse(
    inline_serializer("CoupleConflict", {"detail": serializers.CharField()}),
    description="Not possible in the couple questionnaire's state; the detail says why.",
)

ReportSerializer = inline_serializer(
    "CoupleReport",
    {
        "scales": serializers.ListField(child=serializers.DictField()),
        "strengths": serializers.ListField(child=serializers.DictField()),
        "growth_areas": serializers.ListField(child=serializers.DictField()),
        "different_views": serializers.ListField(child=serializers.DictField()),
    },
)


def _change_action(summary: str):
    """A POST on one couple assignment that runs a service on it: the assignment as it is now, or 409 if refused."""

    def decorate(method):
        described = extend_schema(
            summary=summary, request=None, responses={200: CoupleAssignmentSerializer, 409: CONFLICT}
        )
        return described(action(detail=True, methods=["post"])(method))

    return decorate


@extend_schema_view(
    list=extend_schema(summary="List couple questionnaires"),
    retrieve=extend_schema(summary="One couple questionnaire"),
    create=extend_schema(summary="Assign a questionnaire suited to couples to both partners"),
)
class CoupleAssignmentViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    serializer_class = CoupleAssignmentSerializer
    lookup_value_regex = r"[0-9]+"
    permission_classes = STAFF_PERMISSIONS
    action_permissions = {
        "list": "clients.view_coupleassignment",
        "retrieve": "clients.view_coupleassignment",
        "metadata": "clients.view_coupleassignment",
        "create": "clients.add_coupleassignment",
        "close": "clients.change_coupleassignment",
        "share": "clients.change_coupleassignment",
        "report": "clients.view_coupleassignment",
    }

    def get_queryset(self):
        return CoupleAssignment.objects.for_user(self.request.user).select_related("version").order_by("-pk")

    def _changed(self, change) -> Response:
        found = self.get_object()
        try:
            found = change(couple_assignment=found)
        except services.CoupleError as exc:
            return Response({"detail": str(exc)}, status=409)
        return Response(self.get_serializer(found).data)

    @_change_action("Close it with the answers so far; what is unanswered is cancelled")
    def close(self, request: Request, pk: str | None = None) -> Response:
        return self._changed(services.couple_assignment_close)

    @_change_action("Share the joint summary with both partners (both must have agreed)")
    def share(self, request: Request, pk: str | None = None) -> Response:
        return self._changed(services.couple_summary_release)

    @extend_schema(
        summary="The couple report: scores side by side, the three lists, agreement", responses=ReportSerializer
    )
    @action(detail=True, methods=["get"])
    def report(self, request: Request, pk: str | None = None) -> Response:
        found = self.get_object()
        report = couple_report(found)
        if report.answered:
            record_access(
                user=request.user, action=AccessAction.VIEWED, responses=report.answered, note="couple report (API)"
            )
        lists = {entry["key"]: entry["rows"] for entry in report.lists}
        return Response(
            {
                "scales": [
                    {
                        "label": scale["label"],
                        "partner_a": {key: scale["partners"][0][key] for key in ("value", "band")},
                        "partner_b": {key: scale["partners"][1][key] for key in ("value", "band")},
                        "positive_agreement": scale["percent"],
                        "compared": scale["compared"],
                    }
                    for scale in report.scales
                ],
                "strengths": lists["strengths"],
                "growth_areas": lists["growth"],
                "different_views": lists["different"],
            }
        )
