"""The API's conventions, shared by the engine's API and the host's: strict JSON types, permissions, filters.

The engine imports nothing of the host, so these live here, and a host's own API (Tandem's staff API
in ``clients.api``) imports them from here rather than keeping a copy.
"""

from __future__ import annotations

import re
from typing import Any

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.settings import api_settings

# --- JSON types as the schema states them: no coercion of 0.0 to false, of 5 to "5", of "5" to 5 -------------


class StrictBooleanField(serializers.BooleanField):
    def to_internal_value(self, data: Any) -> bool:
        if not isinstance(data, bool):
            raise serializers.ValidationError("Must be true or false.", code="invalid")
        return data


class StrictIntegerField(serializers.IntegerField):
    def to_internal_value(self, data: Any) -> int:
        if isinstance(data, bool) or not isinstance(data, int):
            raise serializers.ValidationError("Must be a whole number.", code="invalid")
        return super().to_internal_value(data)


class StrictCharField(serializers.CharField):
    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            raise serializers.ValidationError("Must be text.", code="invalid")
        return super().to_internal_value(data)


class StrictEmailField(serializers.EmailField):
    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            raise serializers.ValidationError("Must be text.", code="invalid")
        return super().to_internal_value(data)


class StrictModelSerializer(serializers.ModelSerializer):
    """A ModelSerializer whose generated fields take only the JSON type the schema names."""

    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.BooleanField: StrictBooleanField,
        models.IntegerField: StrictIntegerField,
        models.PositiveIntegerField: StrictIntegerField,
        models.CharField: StrictCharField,
        models.TextField: StrictCharField,
        models.EmailField: StrictEmailField,
    }


# --- Permissions and filters -----------------------------------------------------------------------------------


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


DIGITS = re.compile(r"[0-9]+")


class WholeNumberField(forms.IntegerField):
    """Digits only: Django's own also takes ``1.0`` as 1, which the schema's integer does not allow."""

    def to_python(self, value: Any) -> int | None:
        if isinstance(value, str) and value.strip() and not DIGITS.fullmatch(value.strip()):
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return super().to_python(value)


@extend_schema_field(OpenApiTypes.INT)
class IdFilter(django_filters.NumberFilter):
    """A row's id: a whole number, so that ``?respondent=1e99`` or ``1.0`` is a 400 rather than a guess."""

    field_class = WholeNumberField

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", 2**63 - 1)
        super().__init__(*args, **kwargs)


class StrictBooleanFormField(forms.NullBooleanField):
    """A query parameter's true or false; anything else is a form error, so the API answers 400."""

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

    field_class = StrictBooleanFormField
