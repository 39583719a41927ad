"""Comparing two partners' answers to a couples questionnaire, item by item: pure Python, no ORM.

Each question both partners were shown and answered falls in at most one list: a **shared strength**
(both answers healthy), a **shared growth area** (both unhealthy) or **different views** (otherwise,
answers ``DIFFERENT_VIEW_POINTS`` or more apart). Per scale, **positive agreement** is the share of the
questions both answered in which both answers are healthy. A question's healthy direction comes from the
document (``item["_healthy"]``, see :mod:`assessments.document.couples`); the middle answer of an odd
range is neither healthy nor unhealthy.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from assessments.document.answers import answers_to_values
from assessments.document.conditions import enabled_keys
from assessments.document.rules import item_spec

DIFFERENT_VIEW_POINTS = 2
STRENGTH, GROWTH, DIFFERENT = "strength", "growth", "different"


@dataclass(frozen=True)
class ItemComparison:
    key: str
    text: str
    a: int | None
    b: int | None
    #: ``STRENGTH``, ``GROWTH``, ``DIFFERENT`` or None (compared, in no list; or not compared).
    category: str | None

    @property
    def compared(self) -> bool:
        return self.a is not None and self.b is not None


@dataclass(frozen=True)
class ScaleAgreement:
    key: str
    label: str
    compared: int
    positive: int

    @property
    def percent(self) -> int | None:
        """Positive agreement, rounded half-up to a whole percentage; None when nothing was compared."""
        if not self.compared:
            return None
        return int((Decimal(100 * self.positive) / self.compared).quantize(Decimal(1), rounding=ROUND_HALF_UP))


@dataclass(frozen=True)
class Agreement:
    items: tuple[ItemComparison, ...]
    scales: tuple[ScaleAgreement, ...]

    def _of(self, category: str) -> list[ItemComparison]:
        return [item for item in self.items if item.category == category]

    @property
    def strengths(self) -> list[ItemComparison]:
        return self._of(STRENGTH)

    @property
    def growth_areas(self) -> list[ItemComparison]:
        return self._of(GROWTH)

    @property
    def different_views(self) -> list[ItemComparison]:
        return self._of(DIFFERENT)

    def summary(self) -> dict[str, Any]:
        """The joint metrics without either partner's answers: the lists (keys and text) and the scales."""
        return {
            "strengths": [{"key": item.key, "text": item.text} for item in self.strengths],
            "growth_areas": [{"key": item.key, "text": item.text} for item in self.growth_areas],
            "different_views": [{"key": item.key, "text": item.text} for item in self.different_views],
            "scales": [
                {"key": s.key, "label": s.label, "compared": s.compared, "positive": s.positive, "percent": s.percent}
                for s in self.scales
            ],
        }


def leaning(value: int, low: int, high: int, healthy: str) -> int:
    """+1 for a healthy answer, -1 for an unhealthy one, 0 for the middle of the range."""
    doubled, middle = 2 * value, low + high
    if doubled == middle:
        return 0
    above = doubled > middle
    return 1 if above == (healthy == "high") else -1


def classify(a: int, b: int, low: int, high: int, healthy: str) -> str | None:
    left, right = leaning(a, low, high, healthy), leaning(b, low, high, healthy)
    if left == right == 1:
        return STRENGTH
    if left == right == -1:
        return GROWTH
    if abs(a - b) >= DIFFERENT_VIEW_POINTS:
        return DIFFERENT
    return None


def _values(doc: Mapping[str, Any], answers: Mapping[str, object]) -> dict[str, int | None]:
    shown = enabled_keys(doc, answers)
    return {key: value for key, value in answers_to_values(doc, answers).items() if key in shown}


def compare(doc: Mapping[str, Any], answers_a: Mapping[str, object], answers_b: Mapping[str, object]) -> Agreement:
    """Compare partner A's and partner B's answers (keyed by item key, as stored) to one parsed document.

    Only questions with a healthy direction are compared; one that either partner skipped, or was not
    shown, is listed with its missing answer as None and counts nowhere.
    """
    values_a, values_b = _values(doc, answers_a), _values(doc, answers_b)
    comparisons: dict[str, ItemComparison] = {}
    for item in doc["items"]:
        healthy = item.get("_healthy")
        if not healthy:
            continue
        key = item["key"]
        a, b = values_a.get(key), values_b.get(key)
        category = None
        if a is not None and b is not None:
            spec = item_spec(item)
            category = classify(a, b, spec.min_value, spec.max_value, healthy)
        comparisons[key] = ItemComparison(key, item["text"], a, b, category)
    scales = []
    for scale in doc["scales"]:
        members = [comparisons[key] for key in scale["items"] if key in comparisons]
        compared = [item for item in members if item.compared]
        scales.append(
            ScaleAgreement(
                scale["key"], scale["label"], len(compared), sum(item.category == STRENGTH for item in compared)
            )
        )
    return Agreement(tuple(comparisons.values()), tuple(scales))
