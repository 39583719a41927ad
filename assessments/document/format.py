"""The names, limits and errors of Tandem's instrument format, shared by every part of the package."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

FORMAT = "tandem-instrument/1"
ITEM_TYPES = ("section", "display", "single_choice", "multiple_choice", "integer", "text")
QUESTION_TYPES = ("single_choice", "multiple_choice", "integer", "text")
ITEM_FIELDS = (
    "key",
    "type",
    "text",
    "required",
    "reverse_keyed",
    "healthy",
    "answer_scale",
    "options",
    "min",
    "max",
    "enable_when",
)
OPERATORS = ("exists", "=", "!=", ">", ">=", "<", "<=")
KEY_PATTERN = re.compile(r"[^\s\x00\ud800-\udfff]{1,100}")
#: What no database stores in text: the NUL character and lone UTF-16 surrogates.
UNSTORABLE = re.compile(r"[\x00\ud800-\udfff]")
SLUG_PATTERN = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
MAX_TEXT = 5000


@dataclass(frozen=True)
class Problem:
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


class DocumentError(ValueError):
    """A document that cannot be imported; ``problems`` lists every fault with its JSON path."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("; ".join(str(problem) for problem in problems))


def is_finite(value: object) -> bool:
    """Whether a JSON number is one scoring can use: within ±10¹⁵ if whole, not infinite or NaN."""
    if isinstance(value, int):
        return abs(value) <= 10**15
    return not isinstance(value, float) or math.isfinite(value)


def is_int(value: object) -> bool:
    """A whole number that is not a bool (JSON's true is not 1)."""
    return isinstance(value, int) and not isinstance(value, bool)
