"""The field checks a document is read with: each records a problem at its JSON path and carries on."""

from __future__ import annotations

from typing import Any

from assessments.document.format import KEY_PATTERN, MAX_TEXT, UNSTORABLE, Problem, is_finite, is_int


class Checker:
    """Collects every problem in a document, so that one import attempt reports them all."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, path: str, message: str) -> None:
        self.problems.append(Problem(path, message))

    def obj(self, value: object, path: str, allowed: set[str], required: set[str] = frozenset()) -> dict[str, Any]:
        if not isinstance(value, dict):
            self.add(path, f"must be an object, not {kind_of(value)}")
            return {}
        for key in value:
            if key not in allowed:
                self.add(f"{path}.{key}", "is not a field this format knows")
        for key in sorted(required - set(value)):
            self.add(f"{path}.{key}", "is required")
        return value

    def text(
        self,
        data: dict,
        key: str,
        path: str,
        *,
        default: str | None = None,
        limit: int = MAX_TEXT,
        required: bool = False,
    ) -> str:
        value = data.get(key, default)
        if value is None:
            if required and key in data:
                self.add(f"{path}.{key}", "must be text, not null")
            return ""
        if not isinstance(value, str):
            self.add(f"{path}.{key}", f"must be text, not {kind_of(value)}")
            return ""
        if UNSTORABLE.search(value):
            self.add(f"{path}.{key}", "must not contain null characters or unpaired surrogates")
        if len(value) > limit:
            self.add(f"{path}.{key}", f"is longer than {limit} characters")
        return value

    def flag(self, data: dict, key: str, path: str, default: bool) -> bool:
        value = data.get(key, default)
        if not isinstance(value, bool):
            self.add(f"{path}.{key}", f"must be true or false, not {kind_of(value)}")
            return default
        return value

    def integer(self, data: dict, key: str, path: str, default: int | None = None) -> int | None:
        value = data.get(key, default)
        if value is None:
            return None
        if not is_int(value):
            self.add(f"{path}.{key}", f"must be a whole number, not {kind_of(value)}")
            return None
        if abs(value) > 10**9:
            self.add(f"{path}.{key}", "is out of range")
            return None
        return value

    def number(self, data: dict, key: str, path: str, *, required: bool = False) -> float | None:
        value = data.get(key)
        if value is None:
            if required and key in data:
                self.add(f"{path}.{key}", "must be a number, not null")
            return None
        if isinstance(value, bool) or not isinstance(value, int | float) or not is_finite(value):
            self.add(f"{path}.{key}", f"must be a finite number, not {kind_of(value)}")
            return None
        return value

    def key(self, data: dict, name: str, path: str) -> str:
        """A reference or identifier: text of 1 to 100 characters without spaces."""
        value = data.get(name)
        if not isinstance(value, str) or not KEY_PATTERN.fullmatch(value):
            if name in data:
                self.add(f"{path}.{name}", "must be text of 1 to 100 characters without spaces")
            return ""
        return value

    def array(self, data: dict, key: str, path: str) -> list:
        value = data.get(key, [])
        if not isinstance(value, list):
            self.add(f"{path}.{key}", f"must be a list, not {kind_of(value)}")
            return []
        return value


def kind_of(value: object) -> str:
    """What a JSON value is, in the words a problem message uses."""
    return {dict: "an object", list: "a list", str: "text", bool: "true/false", type(None): "null"}.get(
        type(value), "a number" if isinstance(value, int | float) else type(value).__name__
    )
