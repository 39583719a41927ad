"""The newsletter's subscribers in the API: status, practice and consent are the server's to set.

Subscribers are practice-wide (``Subscriber.objects.for_user``): every member sees them, and the role's
model permissions decide who may add one or unsubscribe one, as in the admin. The newsletter's API
lives here, with the other staff APIs of the practice's data, because it shares the engine's DRF
conventions (``assessments.api.conventions``), which the apps inside ``practice/`` may not import.
"""

from __future__ import annotations

import django_filters
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from assessments.api.conventions import STAFF_PERMISSIONS, StrictCharField, StrictEmailField
from practice.api import API_SOURCE, practice_for
from practice.newsletter import subscriptions
from practice.newsletter.models import Subscriber, SubscriberStatus


class SubscriberSerializer(serializers.ModelSerializer):
    class Meta:
        model = Subscriber
        fields = [
            "id",
            "practice",
            "email",
            "name",
            "status",
            "source",
            "consent_text",
            "consent_at",
            "confirmed_at",
            "unsubscribed_at",
            "created_at",
        ]
        read_only_fields = fields


class SubscriberCreateSerializer(serializers.Serializer):
    email = StrictEmailField(max_length=254)
    name = StrictCharField(max_length=200, allow_blank=True, default="")
    consent_text = StrictCharField(
        max_length=2000,
        allow_blank=True,
        default="",
        help_text="The wording the person agreed to; the practice's standard wording if left out.",
    )


class SubscriberFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=SubscriberStatus.choices)

    class Meta:
        model = Subscriber
        fields = ["status"]


@extend_schema_view(
    list=extend_schema(summary="List the practice's newsletter subscribers"),
    retrieve=extend_schema(summary="One subscriber"),
)
class SubscriberViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = SubscriberSerializer
    lookup_value_regex = r"[0-9]+"
    permission_classes = STAFF_PERMISSIONS
    action_permissions = {
        "list": "newsletter.view_subscriber",
        "retrieve": "newsletter.view_subscriber",
        "metadata": "newsletter.view_subscriber",
        "create": "newsletter.add_subscriber",
        "unsubscribe": "newsletter.change_subscriber",
    }
    filterset_class = SubscriberFilter
    search_fields = ["email", "name"]
    ordering_fields = ["email", "created_at", "confirmed_at"]

    def get_queryset(self):
        return Subscriber.objects.for_user(self.request.user)

    @extend_schema(
        summary="Subscribe someone: double opt-in, so they get a confirmation email first",
        request=SubscriberCreateSerializer,
        responses={201: SubscriberSerializer},
    )
    def create(self, request: Request) -> Response:
        incoming = SubscriberCreateSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        practice = practice_for(request.user)
        data = incoming.validated_data
        subscriber = subscriptions.subscriber_subscribe(
            practice=practice,
            email=data["email"],
            name=data["name"],
            consent_text=data["consent_text"] or subscriptions.consent_wording(practice),
            source=API_SOURCE,
        )
        if subscriber is None:
            raise exceptions.ValidationError({"email": ["This address bounced or complained; nothing is sent to it."]})
        return Response(self.get_serializer(subscriber).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Stop the newsletter to this subscriber",
        request=None,
        responses={200: SubscriberSerializer},
    )
    @action(detail=True, methods=["post"])
    def unsubscribe(self, request: Request, pk: str | None = None) -> Response:
        subscriber = subscriptions.subscriber_unsubscribe(subscriber=self.get_object(), source=API_SOURCE)
        return Response(self.get_serializer(subscriber).data)
