"""The API's house rules, named in ``settings.REST_FRAMEWORK``: who may call it, pages, throttling, documented errors.

Kept apart from ``config.api`` (the URLs), because DRF resolves these names while the apps' views are
being defined, and those views are what ``config.api`` imports.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from django.conf import settings
from rest_framework.exceptions import ParseError, ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.parsers import JSONParser
from rest_framework.permissions import BasePermission
from rest_framework.settings import api_settings
from rest_framework.throttling import UserRateThrottle

from practice.security import client_ip


class StrictJSONParser(JSONParser):
    """JSON that cannot hurt: UTF-8 only, nested at most ``TANDEM_JSON_MAX_DEPTH`` deep (default 64), numbers
    a float can hold, no lone surrogates. Anything else is a 400 before a serializer sees it.

    DRF's own parser recurses into deep input (5,000 ``[`` end in a RecursionError, a 500), takes ``1e999``
    for infinity (which the JSON renderer then cannot write) and leaves invalid UTF-8 to ``codecs``.
    """

    def parse(self, stream, media_type=None, parser_context=None):
        raw = stream.read() if stream is not None else b""
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ParseError("JSON parse error - the body is not valid UTF-8.") from exc
        limit = int(getattr(settings, "TANDEM_JSON_MAX_DEPTH", 64))
        if _nesting_depth(text) > limit:
            raise ParseError(f"JSON parse error - nested more than {limit} deep.")
        try:
            data = json.loads(text, parse_float=_finite_float, parse_int=_bounded_int, parse_constant=_no_constant)
        except (ValueError, RecursionError) as exc:
            raise ParseError(f"JSON parse error - {exc}") from exc
        if _SURROGATE_ESCAPE.search(text):
            try:
                json.dumps(data, ensure_ascii=False).encode("utf-8")
            except UnicodeEncodeError as exc:
                raise ParseError("JSON parse error - a string holds an unpaired surrogate.") from exc
        return data


_STRINGS = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKETS = re.compile(r"[\[\]{}]")
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
#: Digits an integer may have: far beyond any id, count or score, far below Python's 4,300.
MAX_INT_DIGITS = 40


def _nesting_depth(text: str) -> int:
    """How deep brackets nest outside strings, without recursing (and so without a limit of its own)."""
    depth = deepest = 0
    for bracket in _BRACKETS.findall(_STRINGS.sub("", text)):
        depth += 1 if bracket in "[{" else -1
        deepest = max(deepest, depth)
    return deepest


def _finite_float(value: str) -> float:
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(f"the number {value[:20]}… is too large")
    return number


def _bounded_int(value: str) -> int:
    if len(value.lstrip("-")) > MAX_INT_DIGITS:
        raise ValueError(f"an integer may have at most {MAX_INT_DIGITS} digits")
    return int(value)


def _no_constant(value: str):
    raise ValueError(f"{value} is not a JSON number")


class IsStaff(BasePermission):
    """Signed-in, active staff only: the people who may use the admin. Scoping then narrows what they see."""

    message = "Only practice staff may use the API."

    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.is_active and user.is_staff)


class Pagination(PageNumberPagination):
    """Pages of ``PAGE_SIZE`` rows; ``page_size`` from 1 to 200. A bad page is a 404, a bad size a 400."""

    page_size_query_param = "page_size"
    max_page_size = 200
    last_page_strings = ()

    def get_page_size(self, request) -> int:
        raw = request.query_params.get(self.page_size_query_param, "")
        if raw == "":
            return self.page_size
        if not (raw.isascii() and raw.isdigit() and 1 <= int(raw) <= self.max_page_size):
            raise ValidationError({self.page_size_query_param: [f"A whole number from 1 to {self.max_page_size}."]})
        return int(raw)

    def get_schema_operation_parameters(self, view) -> list[dict[str, Any]]:
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_query_param:
                parameter["schema"]["minimum"] = 1
            elif parameter["name"] == self.page_size_query_param:
                parameter["schema"].update(minimum=1, maximum=self.max_page_size)
        return parameters


class UserThrottle(UserRateThrottle):
    """Per user (per address before sign-in), at ``DEFAULT_THROTTLE_RATES["user"]``, read when used.

    The address is the one every other limit counts by (``practice.security.client_ip``), not DRF's own guess.
    """

    def get_rate(self) -> str | None:
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)

    def get_ident(self, request) -> str:
        return client_ip(request) or "unknown"


# --- Every operation documents its errors ------------------------------------------------------------------------

ERROR = {
    "type": "object",
    "properties": {"detail": {"type": "string"}, "code": {"type": "string"}},
    "required": ["detail"],
}
FIELD_ERRORS = {
    "description": "Each field named with its problems (`detail` or `non_field_errors`: the request as a whole), "
    "or a list of problems with the query.",
    "anyOf": [
        {"type": "object", "additionalProperties": True},
        {"type": "array", "items": {"type": "string"}},
    ],
}
MESSAGES = {
    "400": ("FieldErrors", "The request was refused; nothing changed. Each problem is named."),
    "401": ("Error", "No valid credentials: send `Authorization: Token <key>` or sign in."),
    "403": ("Error", "Signed in, but not allowed to do this."),
    "404": ("Error", "Not found, or not yours to see."),
    "415": ("Error", "The body must be JSON (`Content-Type: application/json`)."),
    "429": ("Error", "Too many requests; `Retry-After` says when to try again."),
}


def document_errors(result: dict[str, Any], generator, request, public: bool) -> dict[str, Any]:
    """A postprocessing hook: add the errors DRF may answer with to every operation that does not name them.

    400 wherever input is read (a body or query parameters), 401 and 403 where credentials are needed,
    404 for anything addressed by id (and for a page past the end), 415 with a body, 429 everywhere.
    """
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas.setdefault("Error", ERROR)
    schemas.setdefault("FieldErrors", FIELD_ERRORS)
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            parameters = operation.get("parameters", [])
            for parameter in parameters:
                if parameter.get("in") == "query":
                    parameter["allowEmptyValue"] = True  # an empty filter, search or page is the same as none
            wanted = {"429"}
            if "requestBody" in operation:
                wanted |= {"400", "415"}
            if any(parameter.get("in") == "query" for parameter in parameters):
                wanted |= {"400", "404"}
            if "{" in path:
                wanted.add("404")
            if operation.get("security") != [{}] and operation.get("security"):
                wanted |= {"401", "403"}
            responses = operation.setdefault("responses", {})
            for status in sorted(wanted):
                if status in responses:
                    continue
                name, description = MESSAGES[status]
                responses[status] = {
                    "description": description,
                    "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{name}"}}},
                }
    return result
