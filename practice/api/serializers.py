"""Subscribers as the API shows them: status, practice and consent are the server's to set."""

from __future__ import annotations

from typing import Any

from django.db import models
from rest_framework import serializers

from practice.models import Subscriber

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
