"""The practice's API: newsletter subscribers, and what the other apps' APIs share (permissions, the caller's practice).

Subscribers are practice-wide (``Subscriber.objects.for_user``): every member sees them, and the role's
model permissions decide who may add one or unsubscribe one, as in the admin.
"""

from __future__ import annotations

from typing import Any

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import exceptions, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings

from practice import subscriptions
from practice.api.serializers import SubscriberCreateSerializer, SubscriberSerializer
from practice.models import Membership, Practice, Subscriber, SubscriberStatus

#: How changes made through the API are recorded (consent log, subscriber source).
API_SOURCE = "API"


class ActionPermission(BasePermission):
    """The model permission each action needs, from the view's ``action_permissions``; an unlisted action is refused.

    On a single object it is checked once the object is found in the caller's scope, so an object out
    of scope is a 404 whatever the caller's role (every detail action must use ``get_object``).
    """

    def has_permission(self, request: Request, view: Any) -> bool:
        if view.action is None:  # a method the view does not offer: let it answer 405
            return True
        if (view.lookup_url_kwarg or view.lookup_field) in view.kwargs:
            return view.action in view.action_permissions
        return self._allowed(request, view)

    def has_object_permission(self, request: Request, view: Any, obj: Any) -> bool:
        return self._allowed(request, view)

    @staticmethod
    def _allowed(request: Request, view: Any) -> bool:
        needed = view.action_permissions.get(view.action, False)
        return needed is not False and request.user.has_perm(needed)


STAFF_PERMISSIONS = [*api_settings.DEFAULT_PERMISSION_CLASSES, ActionPermission]


@extend_schema_field(OpenApiTypes.INT)
class IdFilter(django_filters.NumberFilter):
    """A row's id: a whole number, so that ``?respondent=1e99`` is a 400 rather than a database error."""

    field_class = forms.IntegerField

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", 2**63 - 1)
        super().__init__(*args, **kwargs)


class StrictBooleanField(forms.NullBooleanField):
    widget = forms.TextInput  # NullBooleanSelect would turn anything it does not know into "no filter"

    def to_python(self, value: Any) -> bool | None:
        if value in (None, ""):
            return None
        if value in (True, "true", "True", "1"):
            return True
        if value in (False, "false", "False", "0"):
            return False
        raise ValidationError("Use true or false.", code="invalid")

    def validate(self, value: Any) -> None:
        pass


class BooleanFilter(django_filters.BooleanFilter):
    """true or false; anything else is a 400 (django-filter's own ignores it)."""

    field_class = StrictBooleanField


def practice_for(user) -> Practice:
    """The practice a new row made by ``user`` belongs to: their own (the first, should they have several)."""
    membership = Membership.objects.filter(user_id=user.pk).select_related("practice").order_by("pk").first()
    if membership is None:
        raise exceptions.ValidationError({"detail": ["You are not a member of a practice."]})
    return membership.practice


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
        "list": "practice.view_subscriber",
        "retrieve": "practice.view_subscriber",
        "metadata": "practice.view_subscriber",
        "create": "practice.add_subscriber",
        "unsubscribe": "practice.change_subscriber",
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
