"""What one import knows as it goes: the items so far, the keys chosen, and the warnings to report."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from assessments.document import Problem
from assessments.fhir.primitives import quote


@dataclass
class Option:
    """One answer on its way into a document, remembering where it came from so enableWhen can find it."""

    code: str
    label: str
    system: str
    value: object  # a whole number, None, or FAIL while weights are being checked
    source: tuple[str, object, object]


@dataclass
class Imported:
    """A converted item and what enableWhen needs to know about its answers."""

    item: dict[str, Any]
    options: list[Option]
    boolean: bool = False


@dataclass
class ImportState:
    """The Questionnaire being imported and everything learnt about it so far."""

    resource: dict
    problems: list[Problem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    #: linkId → JSON path of the item that holds it.
    paths: dict[str, str] = field(default_factory=dict)
    #: linkId → the item key it became.
    keys: dict[str, str] = field(default_factory=dict)
    items: list[dict[str, Any]] = field(default_factory=list)
    imported: dict[str, Imported] = field(default_factory=dict)
    skipped: set[str] = field(default_factory=set)
    value_sets: dict[str, dict] = field(default_factory=dict)
    #: The linkId and label of the calculated item that becomes the total scale.
    total: tuple[str, str] | None = None
    #: linkId → the LOINC codes it carries (its code list, or a linkId that is a code), to recognise measures.
    codes: dict[str, set[str]] = field(default_factory=dict)
    #: Why each question that a respondent would have answered was left out, at its JSON path.
    left_out: list[Problem] = field(default_factory=list)

    def fail(self, link_id: str, where: str, message: str) -> None:
        """A problem that stops the import, at the JSON path of the item (``where`` continues the path)."""
        self.problems.append(Problem(f"{self.paths[link_id]}{where}", message))

    def leave_out(self, link_id: str, message: str) -> None:
        """A question skipped with a warning; if nothing can be asked at all, these become the problems."""
        self.warn(link_id, message)
        self.left_out.append(Problem(self.paths[link_id], message))

    def warn(self, link_id: str, message: str) -> None:
        text = f"Item {quote(link_id)}: {message}"
        if text not in self.warnings:
            self.warnings.append(text)

    def note(self, message: str) -> None:
        if message not in self.warnings:
            self.warnings.append(message)
