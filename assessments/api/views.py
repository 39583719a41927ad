"""The questionnaire engine's API: instruments, assignments and responses for staff; a link's form for respondents.

Staff see assignments and responses only of respondents the host's hooks let them see
(``respondents_for_user``), like the admin, and instruments of the library and of their owners
(``Instrument.objects.for_user``); anything else is a 404, and a library instrument cannot be
changed (403). Every change goes through the
engine's use cases. The respondent's endpoints take the private link's token in the ``X-Link-Token``
header (never in a URL, so it cannot reach an access log) and follow the rules of the server-rendered
form: the same rate limit per address, ``no-store`` and ``no-referrer``, and errors that name nothing.
"""

from __future__ import annotations

import datetime
from typing import Any

import django_filters
from django.db.models import Prefetch
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import exceptions, mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response as APIResponse
from rest_framework.throttling import BaseThrottle
from rest_framework.views import APIView

from assessments import app_settings, document, exports, fhir, services
from assessments.api import serializers as s
from assessments.api.conventions import STAFF_PERMISSIONS, BooleanFilter, IdFilter
from assessments.assignments import (
    AnswerError,
    AssignmentClosed,
    AssignmentError,
    Incomplete,
    assignment_cancel,
    assignment_create,
    assignment_extend,
    assignment_open,
    assignment_resend,
    assignment_save_answers,
    assignment_submit,
    missing_answers,
)
from assessments.document import DocumentError, shuffled
from assessments.hooks import get_hooks
from assessments.links import LinkProblem, link_resolve
from assessments.models import (
    Assignment,
    AssignmentStatus,
    Instrument,
    InstrumentVersion,
    Response,
)
from assessments.views import MAX_BODY_BYTES, PROBLEM_STATUS, _rate_limited

CONFLICT = OpenApiResponse(
    inline_serializer("Conflict", {"detail": serializers.CharField()}),
    description="Not possible in the assignment's current state; the message says why.",
)


# --- Instruments ----------------------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(summary="List questionnaires"),
    retrieve=extend_schema(summary="A questionnaire with its versions, and the current version's items and scales"),
)
class InstrumentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    lookup_field = "slug"
    lookup_value_regex = r"[a-z0-9]+(?:-[a-z0-9]+)*"
    permission_classes = STAFF_PERMISSIONS
    action_permissions = {
        "list": "assessments.view_instrument",
        "retrieve": "assessments.view_instrument",
        "metadata": "assessments.view_instrument",
        "create": "assessments.add_instrumentversion",
        "copy": "assessments.add_instrumentversion",
    }
    search_fields = ["title", "slug"]
    ordering_fields = ["title", "slug", "created_at"]
    ordering = ["title"]

    def get_queryset(self):
        return Instrument.objects.for_user(self.request.user).prefetch_related(
            Prefetch("versions", queryset=InstrumentVersion.objects.all())
        )

    def get_serializer_class(self):
        if self.action == "retrieve":
            return s.InstrumentDetailSerializer
        if self.action == "create":
            return s.InstrumentImportSerializer
        if self.action == "copy":
            return s.ImportedSerializer
        return s.InstrumentSerializer

    @extend_schema(
        summary="Import a questionnaire (Tandem's format or a FHIR Questionnaire) as a new version",
        request=s.InstrumentImportSerializer,
        responses={201: s.ImportedSerializer},
    )
    def create(self, request: Request) -> APIResponse:
        incoming = s.InstrumentImportSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        try:
            version, warnings = services.instrument_import(
                incoming.validated_data["document"], publish=incoming.validated_data["publish"], user=request.user
            )
        except DocumentError as exc:
            raise exceptions.ValidationError({"document": [str(problem) for problem in exc.problems]}) from exc
        except services.InstrumentNotWritable as exc:
            raise (exceptions.PermissionDenied(str(exc)) if exc.visible else exceptions.NotFound()) from exc
        return self._created(version, warnings)

    def _created(self, version: InstrumentVersion, warnings: list) -> APIResponse:
        instrument = self.get_queryset().get(pk=version.instrument_id)
        data = {
            "instrument": s.InstrumentDetailSerializer(instrument, context=self.get_serializer_context()).data,
            "version": s.VersionSummarySerializer(version).data,
            "warnings": [str(warning) for warning in warnings],
        }
        return APIResponse(data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Make a copy for your practice: a draft of your own from the published version, to adapt",
        request=None,
        responses={201: s.ImportedSerializer},
    )
    @action(detail=True, methods=["post"])
    def copy(self, request: Request, slug: str | None = None) -> APIResponse:
        instrument = self.get_object()
        owner = get_hooks().owner_for_new_instrument(request.user)
        if owner is None:
            raise exceptions.PermissionDenied("You act for no practice to copy questionnaires into.")
        try:
            draft = services.instrument_copy(instrument, owner_id=getattr(owner, "pk", owner))
        except DocumentError as exc:
            return APIResponse({"detail": _problems(exc)}, status=status.HTTP_409_CONFLICT)
        return self._created(draft, [])


def _problems(exc: DocumentError) -> str:
    return "; ".join(str(problem) for problem in exc.problems)


# --- Assignments ----------------------------------------------------------------------------------------------


class RespondentInstrumentFilter(django_filters.FilterSet):
    """Filters of rows about one respondent's answers to one questionnaire: by respondent and questionnaire."""

    respondent = IdFilter(field_name="respondent_id")
    instrument = django_filters.CharFilter(
        field_name="version__instrument__slug", help_text="The questionnaire's slug."
    )


class AssignmentFilter(RespondentInstrumentFilter):
    status = django_filters.ChoiceFilter(choices=AssignmentStatus.choices)

    class Meta:
        model = Assignment
        fields = ["status", "respondent", "instrument"]


@extend_schema_view(
    list=extend_schema(summary="List assignments of the respondents you may see"),
    retrieve=extend_schema(summary="One assignment"),
)
class AssignmentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = s.AssignmentSerializer
    lookup_value_regex = r"[0-9]+"
    permission_classes = STAFF_PERMISSIONS
    action_permissions = {
        "list": "assessments.view_assignment",
        "retrieve": "assessments.view_assignment",
        "metadata": "assessments.view_assignment",
        "create": "assessments.add_assignment",
        "cancel": "assessments.change_assignment",
        "resend": "assessments.change_assignment",
        "extend": "assessments.change_assignment",
    }
    filterset_class = AssignmentFilter
    ordering_fields = ["send_at", "expires_at", "completed_at", "created_at"]

    def get_queryset(self):
        return Assignment.objects.for_user(self.request.user).select_related("version__instrument")

    @extend_schema(
        summary="Assign a questionnaire: the invitation goes out at once",
        request=s.AssignmentCreateSerializer,
        responses={201: s.AssignmentSerializer},
    )
    def create(self, request: Request) -> APIResponse:
        respondents = get_hooks().respondents_for_user(request.user)
        incoming = s.AssignmentCreateSerializer(
            data=request.data, context={"respondents": respondents, "request": request}
        )
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        version = data["instrument"].published_version
        if version is None:
            raise exceptions.ValidationError({"instrument": ["This questionnaire has no published version."]})
        if not get_hooks().may_contact(data["respondent"]):
            raise exceptions.ValidationError(
                {"respondent": ["This respondent may not be emailed about questionnaires (no consent, or discharged)."]}
            )
        try:
            assignment = assignment_create(
                version=version,
                respondent=data["respondent"],
                expires_in_days=data["expires_in_days"],
                message=data["message"],
                release_scores=data["release_scores"],
                assigned_by=request.user,
            )
        except AssignmentError as exc:
            raise exceptions.ValidationError({"detail": [str(exc)]}) from exc
        return APIResponse(self.get_serializer(assignment).data, status=status.HTTP_201_CREATED)

    def _change(self, use_case, **options: Any) -> APIResponse:
        assignment = self.get_object()
        try:
            changed = use_case(assignment=assignment, **options)
        except AssignmentError as exc:
            return APIResponse({"detail": str(exc)}, status=status.HTTP_409_CONFLICT)
        return APIResponse(self.get_serializer(self.get_queryset().get(pk=changed.pk)).data)

    @extend_schema(
        summary="Cancel: the link stops working and nothing more is sent",
        request=None,
        responses={200: s.AssignmentSerializer, 409: CONFLICT},
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str | None = None) -> APIResponse:
        return self._change(assignment_cancel)

    @extend_schema(
        summary="Send again with a new link (earlier links stop working)",
        request=None,
        responses={200: s.AssignmentSerializer, 409: CONFLICT},
    )
    @action(detail=True, methods=["post"])
    def resend(self, request: Request, pk: str | None = None) -> APIResponse:
        return self._change(assignment_resend)

    @extend_schema(
        summary="Give more days (an expired, unfinished assignment reopens)",
        request=s.ExtendSerializer,
        responses={200: s.AssignmentSerializer, 409: CONFLICT},
    )
    @action(detail=True, methods=["post"])
    def extend(self, request: Request, pk: str | None = None) -> APIResponse:
        incoming = s.ExtendSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        return self._change(assignment_extend, days=incoming.validated_data["days"])


# --- Responses ------------------------------------------------------------------------------------------------


class ResponseFilter(RespondentInstrumentFilter):
    flagged = BooleanFilter()

    class Meta:
        model = Response
        fields = ["respondent", "instrument", "flagged"]


@extend_schema_view(
    list=extend_schema(summary="List completed responses of the respondents you may see, with scores"),
    retrieve=extend_schema(summary="One response: answers, scores and risk flags"),
)
class ResponseViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = s.ResponseSerializer
    lookup_value_regex = r"[0-9]+"
    permission_classes = STAFF_PERMISSIONS
    action_permissions = {
        "list": "assessments.view_response",
        "retrieve": "assessments.view_response",
        "metadata": "assessments.view_response",
        "fhir": "assessments.view_response",
    }
    filterset_class = ResponseFilter
    ordering_fields = ["completed_at", "created_at"]

    def get_queryset(self):
        return (
            Response.objects.for_user(self.request.user)
            .select_related("version__instrument", "assignment")
            .defer("version__definition")  # the parsed form comes once per version, not with every row
        )

    @extend_schema(
        summary="The response as a FHIR R4 QuestionnaireResponse",
        responses={200: OpenApiResponse(OpenApiTypes.OBJECT, description="A FHIR R4 QuestionnaireResponse.")},
    )
    @action(detail=True, methods=["get"])
    def fhir(self, request: Request, pk: str | None = None) -> APIResponse:
        response = self.get_object()
        version = response.version
        authored = (response.completed_at or response.created_at).astimezone(datetime.UTC)
        resource = fhir.response_to_questionnaire_response(
            services.version_document(version),
            response.answers,
            questionnaire_url=exports.questionnaire_url(response),
            authored=authored.isoformat(timespec="seconds").replace("+00:00", "Z"),
        )
        return APIResponse(resource)


# --- The respondent's side: the form behind a private link ------------------------------------------------------

LINK_HEADER = "X-Link-Token"
LINK_PARAMETER = OpenApiParameter(
    LINK_HEADER,
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=True,
    description="The token of the private link (the part after `/q/` in the emailed address).",
)
LINK_MESSAGES = {
    LinkProblem.UNKNOWN: "This link does not work. Please check that you copied all of it.",
    LinkProblem.EXPIRED: "This link has expired. Please ask your therapist for a new one.",
    LinkProblem.CANCELLED: "This questionnaire is no longer needed.",
    LinkProblem.USED: "These answers have already been sent. Thank you.",
}
LINK_ERROR = inline_serializer("LinkError", {"detail": serializers.CharField(), "code": serializers.CharField()})
LINK_ERRORS = {
    404: OpenApiResponse(LINK_ERROR, description="Unknown link (`code`: unknown)."),
    410: OpenApiResponse(LINK_ERROR, description="Expired, cancelled or already used (`code` says which)."),
    413: OpenApiResponse(LINK_ERROR, description="The request is too large."),
    429: OpenApiResponse(LINK_ERROR, description="Too many requests from this address; `Retry-After` says when."),
}


class LinkProblemError(exceptions.APIException):
    def __init__(self, problem: LinkProblem) -> None:
        super().__init__(LINK_MESSAGES[problem], code=problem.value)
        self.status_code = PROBLEM_STATUS[problem]


class TooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request is too large."
    default_code = "too_large"


class LinkRateThrottle(BaseThrottle):
    """The link pages' limit per address (``ASSESSMENTS_LINK_RATE_LIMIT``), shared with them."""

    def allow_request(self, request: Request, view: Any) -> bool:
        self.retry_after = _rate_limited(request)
        return self.retry_after is None

    def wait(self) -> float:
        return float(self.retry_after or app_settings.link_rate_limit()[1])


class LinkView(APIView):
    """Base of the respondent's endpoints: no sign-in, the token is the capability."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [LinkRateThrottle]
    allow_used = False

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        try:
            size = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            size = MAX_BODY_BYTES + 1
        if size > MAX_BODY_BYTES:
            raise TooLarge()
        assignment, problem = link_resolve(request.headers.get(LINK_HEADER))
        if problem is not None and not (self.allow_used and problem == LinkProblem.USED):
            raise LinkProblemError(problem)
        self.assignment = assignment

    def handle_exception(self, exc: Exception):
        """DRF's answer, plus a ``code`` (unknown, expired, throttled…) a front end can act on."""
        response = super().handle_exception(exc)
        if isinstance(exc, exceptions.APIException) and isinstance(response.data, dict) and "detail" in response.data:
            codes = exc.get_codes()
            response.data["code"] = codes if isinstance(codes, str) else "invalid"
        return response

    def finalize_response(self, request: Request, response, *args: Any, **kwargs: Any):
        response = super().finalize_response(request, response, *args, **kwargs)
        response["Cache-Control"] = "no-store"
        response["Referrer-Policy"] = "no-referrer"
        response["X-Robots-Tag"] = "noindex, nofollow"
        return response

    def progress(self, assignment: Assignment) -> dict[str, Any]:
        doc = services.published_form(assignment.version).document
        answers = assignment.draft_answers
        return {
            "answers": answers,
            "shown": sorted(document.enabled_keys(doc, answers)),
            "missing": missing_answers(doc, answers),
            "last_page": assignment.last_page,
        }


class PageSerializer(serializers.Serializer):
    number = serializers.IntegerField()
    heading = serializers.CharField(allow_blank=True)
    items = s.ItemSerializer(many=True)


class ProgressSerializer(serializers.Serializer):
    answers = serializers.JSONField(help_text="The answers saved so far, by item key.")
    shown = serializers.ListField(child=serializers.CharField(), help_text="Items shown for these answers.")
    missing = serializers.ListField(child=serializers.CharField(), help_text="Required questions still unanswered.")
    last_page = serializers.IntegerField()


class FormSerializer(ProgressSerializer):
    title = serializers.CharField()
    instructions = serializers.CharField(allow_blank=True)
    copyright = serializers.CharField(allow_blank=True)
    message = serializers.CharField(allow_blank=True, help_text="The therapist's personal message.")
    expires_at = serializers.DateTimeField()
    pages = PageSerializer(many=True)
    context = serializers.DictField(child=serializers.CharField(), help_text="The practice's name and contact, say.")


class SaveSerializer(serializers.Serializer):
    answers = s.CleanJSONField(help_text="Answers by item key; null or an empty value clears an answer.")
    page = s.StrictIntegerField(min_value=0, max_value=32767, default=0, help_text="The page these came from.")


class SubmittedSerializer(serializers.Serializer):
    status = serializers.CharField()
    scores = serializers.ListField(
        child=inline_serializer(
            "ReleasedScore",
            {
                "label": serializers.CharField(),
                "value": serializers.FloatField(),
                "band": serializers.CharField(allow_null=True),
            },
        ),
        help_text="The scores, if the therapist chose to show them; otherwise empty.",
    )


@extend_schema(tags=["respond"])
class RespondFormView(LinkView):
    @extend_schema(
        summary="The questionnaire behind a link: its pages and the answers saved so far",
        parameters=[LINK_PARAMETER],
        responses={200: FormSerializer, **LINK_ERRORS},
    )
    def get(self, request: Request) -> APIResponse:
        assignment = self.assignment
        assignment_open(assignment=assignment)
        form = services.published_form(assignment.version)
        version, seed = assignment.version, assignment.question_order_seed
        pages = [
            {
                "number": number,
                "heading": page["heading"],
                "items": [s.item_data(item) for item in shuffled(page["items"], seed)],
            }
            for number, page in enumerate(form.pages, start=1)
        ]
        context = {key: str(value) for key, value in get_hooks().page_context(assignment).items()}
        data = {
            "title": version.title,
            "instructions": version.instructions,
            "copyright": version.copyright,
            "message": assignment.message,
            "expires_at": assignment.expires_at,
            "pages": pages,
            "context": context,
            **self.progress(assignment),
        }
        return APIResponse(FormSerializer(data).data)


@extend_schema(tags=["respond"])
class RespondAnswersView(LinkView):
    @extend_schema(
        summary="Save a page of answers (checked against the questionnaire; a bad answer saves nothing)",
        parameters=[LINK_PARAMETER],
        request=SaveSerializer,
        responses={200: ProgressSerializer, **LINK_ERRORS},
    )
    def post(self, request: Request) -> APIResponse:
        incoming = SaveSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        assignment = self.assignment
        try:
            assignment_save_answers(
                assignment=assignment, answers=incoming.validated_data["answers"], page=incoming.validated_data["page"]
            )
        except AnswerError as exc:
            raise exceptions.ValidationError({"answers": {exc.key: [str(exc)]}}) from exc
        except AssignmentClosed as exc:
            raise LinkProblemError(LinkProblem.EXPIRED) from exc
        return APIResponse(ProgressSerializer(self.progress(assignment)).data)


@extend_schema(tags=["respond"])
class RespondSubmitView(LinkView):
    @extend_schema(
        summary="Send the answers: scored and stored once; a second submission changes nothing",
        parameters=[LINK_PARAMETER],
        request=None,
        responses={
            200: SubmittedSerializer,
            400: OpenApiResponse(
                inline_serializer(
                    "Incomplete", {"detail": serializers.CharField(), "missing": serializers.ListField()}
                ),
                description="Required questions are unanswered; `missing` lists them in order.",
            ),
            **LINK_ERRORS,
        },
    )
    def post(self, request: Request) -> APIResponse:
        assignment = self.assignment
        try:
            response = assignment_submit(assignment=assignment)
        except Incomplete as exc:
            return APIResponse({"detail": str(exc), "missing": exc.keys}, status=status.HTTP_400_BAD_REQUEST)
        except AssignmentClosed as exc:
            raise LinkProblemError(LinkProblem.EXPIRED) from exc
        scores = []
        if assignment.release_scores:
            scores = [
                {"label": scale["label"], "value": scale["value"], "band": scale["band"]}
                for scale in response.scores.get("scales", {}).values()
                if scale.get("value") is not None
            ]
        return APIResponse({"status": AssignmentStatus.COMPLETED.value, "scores": scores})
