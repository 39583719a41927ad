"""Reading FHIR's JSON primitives: numbers in any of their JSON forms, text that must fit, and names for warnings."""

from __future__ import annotations

import math
from decimal import Decimal

MAX_NUMBER = 10**9
#: Marks a value that was present but could not be used, where None already means "absent".
FAIL = object()


def number(raw: object) -> int | float | None:
    """A finite JSON number (int, float or Decimal), integral ones as int; None for anything else."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return raw if abs(raw) <= 10**15 else float("inf")
    if isinstance(raw, float):
        if not math.isfinite(raw):
            return None
        return int(raw) if raw.is_integer() and abs(raw) <= 10**15 else raw
    if isinstance(raw, Decimal):
        if not raw.is_finite():
            return None
        if abs(raw) > 10**15:
            return float("inf")
        return int(raw) if raw == raw.to_integral_value() else float(raw)
    return None


def clean(text: str, limit: int) -> str:
    """Text a document can hold: without NUL characters, at most ``limit`` long."""
    return text.replace("\x00", "")[:limit]


def is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def quote(text: str) -> str:
    """A linkId or code as a warning shows it: quoted, and shortened if long."""
    return repr(text if len(text) <= 60 else text[:57] + "...")


def kind_of(value: object) -> str:
    """What a JSON value is, in the words a problem or warning uses."""
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float | Decimal):
        return "a number"
    return {dict: "an object", list: "a list", str: "text", type(None): "null"}.get(type(value), type(value).__name__)
