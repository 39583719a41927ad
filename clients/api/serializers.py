"""Clients as the API reads and writes them.

Practice and therapist are set by the server (the caller's practice, the caller), so posting them
changes nothing. Consent is written only through ``consent_set``, which logs who changed it and when.
"""

from __future__ import annotations

import copy
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from rest_framework import serializers

from clients.models import Channel, Client, ConsentRecord
from clients.services import consent_set
from practice.api.serializers import StrictModelSerializer

CONSENT_FIELDS = {Client.consent_field(channel): channel for channel in Channel}
API_SOURCE = "API"


class ClientSerializer(StrictModelSerializer):
    display_name = serializers.CharField(read_only=True)

    class Meta:
        model = Client
        fields = [
            "id",
            "practice",
            "therapist",
            "first_name",
            "last_name",
            "preferred_name",
            "display_name",
            "email",
            "phone",
            "date_of_birth",
            "status",
            "consent_questionnaires",
            "consent_questionnaires_at",
            "consent_appointment_reminders",
            "consent_appointment_reminders_at",
            "consent_newsletter",
            "consent_newsletter_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "id",
            "practice",
            "therapist",
            "display_name",
            "consent_questionnaires_at",
            "consent_appointment_reminders_at",
            "consent_newsletter_at",
            "created_at",
            "updated_at",
        ]
        extra_kwargs = {
            name: {"help_text": "Changes are recorded in the consent log (source 'API')."} for name in CONSENT_FIELDS
        }

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        """The model's own checks (date of birth, the therapist's practice) on the record as it would be saved."""
        if self.instance is not None:
            probe = copy.copy(self.instance)
        else:
            probe = Client(practice=self.context["practice"], therapist=self.context["request"].user)
        for name, value in attrs.items():
            setattr(probe, name, value)
        try:
            probe.clean()
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.message_dict) from exc
        return attrs

    @transaction.atomic
    def create(self, validated_data: dict[str, Any]) -> Client:
        consents = {name: validated_data.pop(name) for name in CONSENT_FIELDS if name in validated_data}
        client = Client.objects.create(
            practice=self.context["practice"], therapist=self.context["request"].user, **validated_data
        )
        self._record_consents(client, consents)
        return client

    @transaction.atomic
    def update(self, instance: Client, validated_data: dict[str, Any]) -> Client:
        consents = {name: validated_data.pop(name) for name in CONSENT_FIELDS if name in validated_data}
        client = super().update(instance, validated_data)
        self._record_consents(client, consents)
        return client

    def _record_consents(self, client: Client, wanted: dict[str, bool]) -> None:
        for name, given in wanted.items():
            if getattr(client, name) != given:
                consent_set(
                    client=client,
                    channel=CONSENT_FIELDS[name],
                    given=given,
                    source=API_SOURCE,
                    recorded_by=self.context["request"].user,
                )


class ConsentRecordSerializer(serializers.ModelSerializer):
    class Meta:
        model = ConsentRecord
        fields = ["id", "channel", "given", "at", "source", "recorded_by"]
        read_only_fields = fields
