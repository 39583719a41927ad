"""What the questionnaire engine's API reads and writes: fields listed one by one, server-set ones read-only.

Plain JSON in, the engine's own use cases behind it: nothing here writes a row itself.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from assessments import assignments, document
from assessments.api.conventions import StrictBooleanField, StrictCharField, StrictIntegerField
from assessments.app_settings import get_respondent_model
from assessments.document import SLUG_PATTERN
from assessments.models import Assignment, Instrument, InstrumentStatus, InstrumentVersion, Response

MAX_JSON_DEPTH = 40


def json_problem(value: object, depth: int = 0) -> str | None:
    """Why a JSON value cannot be stored: a null character or a lone surrogate in any string (keys too), or too deep.

    PostgreSQL refuses both characters, so they must stop here with a 400 rather than fail at the database.
    """
    if depth > MAX_JSON_DEPTH:
        return "is nested too deeply"
    if isinstance(value, str):
        if "\x00" in value:
            return "must not contain null characters"
        if any("\ud800" <= char <= "\udfff" for char in value):
            return "must not contain unpaired surrogate characters"
        return None
    if isinstance(value, dict):
        for key, item in value.items():
            problem = json_problem(key, depth + 1) or json_problem(item, depth + 1)
            if problem:
                return problem
    elif isinstance(value, list):
        for item in value:
            problem = json_problem(item, depth + 1)
            if problem:
                return problem
    return None


class CleanJSONField(serializers.JSONField):
    """A JSON object whose strings PostgreSQL can store."""

    def to_internal_value(self, data: Any) -> Any:
        value = super().to_internal_value(data)
        if not isinstance(value, dict):
            raise serializers.ValidationError("Must be a JSON object.")
        problem = json_problem(value)
        if problem:
            raise serializers.ValidationError(f"A string in it {problem}.")
        return value


# --- Instruments ----------------------------------------------------------------------------------------------


class VersionSummarySerializer(serializers.ModelSerializer):
    class Meta:
        model = InstrumentVersion
        fields = ["id", "number", "label", "title", "status", "couples", "published_at", "retired_at"]
        read_only_fields = fields


class InstrumentSerializer(serializers.ModelSerializer):
    published_version = serializers.SerializerMethodField()
    library = serializers.BooleanField(
        source="is_library", read_only=True, help_text="In the library: every practice may assign it, none change it."
    )

    class Meta:
        model = Instrument
        fields = ["id", "slug", "title", "library", "created_at", "published_version"]
        read_only_fields = fields

    @extend_schema_field(VersionSummarySerializer(allow_null=True))
    def get_published_version(self, obj: Instrument) -> dict | None:
        version = next((v for v in obj.versions.all() if v.status == InstrumentStatus.PUBLISHED), None)
        return VersionSummarySerializer(version).data if version else None


class OptionSerializer(serializers.Serializer):
    code = serializers.CharField()
    label = serializers.CharField()
    value = serializers.IntegerField(allow_null=True)


class ItemSerializer(serializers.Serializer):
    key = serializers.CharField()
    type = serializers.ChoiceField(choices=document.ITEM_TYPES)
    text = serializers.CharField(allow_blank=True)
    required = serializers.BooleanField()
    reverse_keyed = serializers.BooleanField()
    options = OptionSerializer(many=True, help_text="The answers to choose from (resolved from the answer scale).")
    min = serializers.IntegerField(allow_null=True)
    max = serializers.IntegerField(allow_null=True)
    enable_when = serializers.JSONField(allow_null=True, help_text="Shown only when these conditions hold.")


class BandSerializer(serializers.Serializer):
    low = serializers.FloatField()
    high = serializers.FloatField()
    label = serializers.CharField()
    severity = serializers.IntegerField()
    meaning = serializers.CharField(allow_blank=True)


class ReliableChangeSerializer(serializers.Serializer):
    """A published reliable-change threshold in points, with where it comes from."""

    threshold = serializers.FloatField()
    source = serializers.CharField(allow_blank=True)


class ScaleSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    total = serializers.BooleanField()
    items = serializers.ListField(child=serializers.CharField())
    method = serializers.CharField()
    max_missing = serializers.IntegerField()
    clinical_cutoff = serializers.FloatField(allow_null=True)
    higher_is_worse = serializers.BooleanField()
    bands = BandSerializer(many=True)
    reference_sd = serializers.FloatField(allow_null=True, required=False)
    reliability = serializers.FloatField(allow_null=True, required=False)
    reliable_change = ReliableChangeSerializer(allow_null=True, required=False)


class VersionDetailSerializer(VersionSummarySerializer):
    """One version with what it asks (items, in order) and how it scores (scales with bands)."""

    description = serializers.CharField(read_only=True)
    instructions = serializers.CharField(read_only=True)
    copyright = serializers.CharField(read_only=True)
    items = serializers.SerializerMethodField()
    scales = serializers.SerializerMethodField()

    class Meta(VersionSummarySerializer.Meta):
        fields = [*VersionSummarySerializer.Meta.fields, "description", "instructions", "copyright", "items", "scales"]
        read_only_fields = fields

    def _document(self, version: InstrumentVersion) -> dict[str, Any]:
        documents = self.context.setdefault("_documents", {})
        if version.pk not in documents:
            from assessments.services import version_document

            documents[version.pk] = version_document(version)
        return documents[version.pk]

    @extend_schema_field(ItemSerializer(many=True))
    def get_items(self, version: InstrumentVersion) -> list[dict]:
        return [item_data(item) for item in self._document(version)["items"]]

    @extend_schema_field(ScaleSerializer(many=True))
    def get_scales(self, version: InstrumentVersion) -> list[dict]:
        return [ScaleSerializer(scale).data for scale in self._document(version)["scales"]]


def item_data(item: dict[str, Any]) -> dict[str, Any]:
    options = item.get("_options") or item["options"]
    return {
        "key": item["key"],
        "type": item["type"],
        "text": item["text"],
        "required": item["required"],
        "reverse_keyed": item["reverse_keyed"],
        "options": [{"code": o["code"], "label": o["label"], "value": o["value"]} for o in options],
        "min": item["min"],
        "max": item["max"],
        "enable_when": item["enable_when"],
    }


class InstrumentDetailSerializer(InstrumentSerializer):
    versions = VersionSummarySerializer(many=True, read_only=True)
    current_version = serializers.SerializerMethodField(
        help_text="The published version, or the newest draft while none is published."
    )

    class Meta(InstrumentSerializer.Meta):
        fields = [*InstrumentSerializer.Meta.fields, "versions", "current_version"]
        read_only_fields = fields

    @extend_schema_field(VersionDetailSerializer(allow_null=True))
    def get_current_version(self, obj: Instrument) -> dict | None:
        versions = list(obj.versions.all())
        version = next((v for v in versions if v.status == InstrumentStatus.PUBLISHED), None)
        if version is None:
            version = next((v for v in versions if v.is_draft), None)
        return VersionDetailSerializer(version, context=self.context).data if version else None


class InstrumentImportSerializer(serializers.Serializer):
    document = CleanJSONField(
        help_text="Tandem's instrument format (`tandem-instrument/1`) or a FHIR R4 Questionnaire, as JSON."
    )
    publish = StrictBooleanField(default=False, help_text="Publish straight away (it can then be assigned).")


class ImportedSerializer(serializers.Serializer):
    instrument = InstrumentDetailSerializer()
    version = VersionSummarySerializer()
    warnings = serializers.ListField(child=serializers.CharField())


# --- Assignments ----------------------------------------------------------------------------------------------


class AssignmentSerializer(serializers.ModelSerializer):
    """An assignment as the therapist sees it; it changes only through its actions."""

    instrument = serializers.SlugRelatedField(source="version.instrument", slug_field="slug", read_only=True)
    version = serializers.PrimaryKeyRelatedField(read_only=True)
    response = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)

    class Meta:
        model = Assignment
        fields = [
            "id",
            "respondent",
            "instrument",
            "version",
            "status",
            "send_at",
            "sent_at",
            "opened_at",
            "started_at",
            "completed_at",
            "cancelled_at",
            "expired_at",
            "expires_at",
            "message",
            "release_scores",
            "invitations_sent",
            "reminders_sent",
            "reminders_emailed",
            "note",
            "response",
            "created_at",
        ]
        read_only_fields = fields


@extend_schema_field(OpenApiTypes.INT)
class RespondentField(serializers.PrimaryKeyRelatedField):
    """A respondent by id, among those the host's hooks let the caller see (``context["respondents"]``)."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("incorrect_type", data_type=type(data).__name__)
        return super().to_internal_value(data)

    def get_queryset(self):
        respondents = self.context.get("respondents")
        return respondents if respondents is not None else get_respondent_model()._default_manager.none()


@extend_schema_field(OpenApiTypes.STR)
class InstrumentField(serializers.SlugRelatedField):
    """An instrument by slug, among those the caller may see (``Instrument.objects.for_user``); others do not exist."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("slug_field", "slug")
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> Any:
        if not isinstance(data, str):
            raise serializers.ValidationError("Must be text.", code="invalid")
        if not SLUG_PATTERN.fullmatch(data):  # nothing a slug cannot hold (a NUL, say) reaches the database
            self.fail("does_not_exist", slug_name=self.slug_field, value=data[:100])
        return super().to_internal_value(data)

    def get_queryset(self):
        request = self.context.get("request")
        return Instrument.objects.for_user(getattr(request, "user", None))


class AssignmentCreateSerializer(serializers.Serializer):
    """Assign a published questionnaire to a respondent: the invitation goes out at once."""

    respondent = RespondentField(help_text="The respondent's id; only those you may see can be chosen.")
    instrument = InstrumentField(help_text="The questionnaire's slug: the library's or your practice's own.")
    expires_in_days = StrictIntegerField(
        min_value=assignments.EXPIRY_DAYS[0], max_value=assignments.EXPIRY_DAYS[1], default=14
    )
    message = StrictCharField(
        max_length=assignments.MAX_MESSAGE_LENGTH, allow_blank=True, default="", help_text="A personal message."
    )
    release_scores = StrictBooleanField(default=False, help_text="Show the client their scores at the end.")


class ExtendSerializer(serializers.Serializer):
    days = StrictIntegerField(min_value=assignments.EXPIRY_DAYS[0], max_value=assignments.EXPIRY_DAYS[1])


# --- Responses ------------------------------------------------------------------------------------------------


class ScaleScoreSerializer(serializers.Serializer):
    label = serializers.CharField()
    value = serializers.FloatField(allow_null=True)
    band = serializers.CharField(allow_null=True)
    severity = serializers.IntegerField(allow_null=True)
    clinical = serializers.BooleanField(allow_null=True)
    answered = serializers.IntegerField()
    missing = serializers.ListField(child=serializers.CharField())
    prorated = serializers.BooleanField()
    reason = serializers.CharField(allow_null=True, allow_blank=True)


class RiskFlagSerializer(serializers.Serializer):
    item = serializers.CharField()
    value = serializers.FloatField()
    threshold = serializers.FloatField()
    label = serializers.CharField(allow_blank=True)


class ScoresSerializer(serializers.Serializer):
    instrument = serializers.CharField()
    scales = serializers.DictField(child=ScaleScoreSerializer(), help_text="Each scale by its key.")
    risk_flags = RiskFlagSerializer(many=True)
    unanswered_risk_items = serializers.ListField(child=serializers.CharField())


class ResponseSerializer(serializers.ModelSerializer):
    instrument = serializers.SlugRelatedField(source="version.instrument", slug_field="slug", read_only=True)
    version = serializers.PrimaryKeyRelatedField(read_only=True)
    assignment = serializers.SerializerMethodField()
    answers = serializers.JSONField(read_only=True, help_text="Answers by item key: option codes, numbers or text.")
    scores = serializers.SerializerMethodField()

    class Meta:
        model = Response
        fields = [
            "id",
            "respondent",
            "instrument",
            "version",
            "assignment",
            "started_at",
            "completed_at",
            "flagged",
            "answers",
            "scores",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_assignment(self, obj: Response) -> int | None:
        assignment = getattr(obj, "assignment", None)
        return assignment.pk if assignment is not None else None

    @extend_schema_field(ScoresSerializer)
    def get_scores(self, obj: Response) -> dict:
        return obj.scores
