"""The FHIR extensions Tandem reads and writes, and how to find one on an element."""

from __future__ import annotations

ORDINAL_VALUE = "http://hl7.org/fhir/StructureDefinition/ordinalValue"
ITEM_WEIGHT = "http://hl7.org/fhir/StructureDefinition/itemWeight"
WEIGHT_URLS = (
    ORDINAL_VALUE,
    ITEM_WEIGHT,
    "http://hl7.org/fhir/StructureDefinition/questionnaire-ordinalValue",
    "http://hl7.org/fhir/StructureDefinition/iso21090-CO-value",
)
MIN_VALUE = "http://hl7.org/fhir/StructureDefinition/minValue"
MAX_VALUE = "http://hl7.org/fhir/StructureDefinition/maxValue"
HIDDEN = "http://hl7.org/fhir/StructureDefinition/questionnaire-hidden"
CALCULATED_EXPRESSION = "http://hl7.org/fhir/uv/sdc/StructureDefinition/sdc-questionnaire-calculatedExpression"
CALCULATED = ("cqf-expression", "sdc-questionnaire-calculatedExpression", "cqf-calculatedValue")


def extension(holder: dict, url: str) -> dict | None:
    """The first extension with this URL on an element, if any."""
    extensions = holder.get("extension")
    if not isinstance(extensions, list):
        return None
    for entry in extensions:
        if isinstance(entry, dict) and entry.get("url") == url:
            return entry
    return None


def is_calculated(node: dict) -> bool:
    """Whether an item's answer is calculated (by any of the expression extensions), not asked."""
    extensions = node.get("extension")
    if not isinstance(extensions, list):
        return False
    return any(
        isinstance(entry, dict) and isinstance(entry.get("url"), str) and entry["url"].rsplit("/", 1)[-1] in CALCULATED
        for entry in extensions
    )


def is_hidden(node: dict) -> bool:
    found = extension(node, HIDDEN)
    return found is not None and found.get("valueBoolean") is True
