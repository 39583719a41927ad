"""FHIR Questionnaires written for these tests, in each encoding real public files use.

Every encoding carries the same measure (a PHQ-9 or GAD-7: the LOINC item codes and answers, each
answer scored 0 to 3), a hidden display item holding a scoring key for staff, and a calculated total.
The wording is shortened: these are encodings under test, not the published instruments.
"""

from __future__ import annotations

import copy
import uuid

LOINC = "http://loinc.org"
ORDINAL = "http://hl7.org/fhir/StructureDefinition/ordinalValue"
ITEM_WEIGHT = "http://hl7.org/fhir/StructureDefinition/itemWeight"
HIDDEN = "http://hl7.org/fhir/StructureDefinition/questionnaire-hidden"
CALCULATED = "http://hl7.org/fhir/uv/sdc/StructureDefinition/sdc-questionnaire-calculatedExpression"
ANSWERS = (
    ("LA6568-5", "Not at all"),
    ("LA6569-3", "Several days"),
    ("LA6570-1", "More than half the days"),
    ("LA6571-9", "Nearly every day"),
)
MEASURES = {
    "phq9": {
        "panel": ("44249-1", "PHQ-9 quick depression assessment panel"),
        "total": ("44261-6", "Patient Health Questionnaire 9 item (PHQ-9) total score"),
        "items": (
            ("44250-9", "Little interest or pleasure in doing things"),
            ("44255-8", "Feeling down, depressed, or hopeless"),
            ("44259-0", "Trouble falling or staying asleep, or sleeping too much"),
            ("44254-1", "Feeling tired or having little energy"),
            ("44251-7", "Poor appetite or overeating"),
            ("44258-2", "Feeling bad about yourself"),
            ("44252-5", "Trouble concentrating on things"),
            ("44253-3", "Moving or speaking slowly, or being fidgety or restless"),
            ("44260-8", "Thoughts that you would be better off dead, or of hurting yourself"),
        ),
    },
    "gad7": {
        "panel": ("69737-5", "Generalized anxiety disorder 7 item (GAD-7)"),
        "total": ("70274-6", "Generalized anxiety disorder 7 item (GAD-7) total score"),
        "items": (
            ("69725-0", "Feeling nervous, anxious or on edge"),
            ("68509-9", "Not being able to stop or control worrying"),
            ("69733-4", "Worrying too much about different things"),
            ("69734-2", "Trouble relaxing"),
            ("69735-9", "Being so restless that it is hard to sit still"),
            ("69689-8", "Becoming easily annoyed or irritable"),
            ("69736-7", "Feeling afraid as if something awful might happen"),
        ),
    },
}
#: How each encoding writes the answers, the linkIds and the total.
ENCODINGS = (
    "loinc-ordinal-on-option",
    "loinc-weight-on-coding",
    "sdc-contained-valueset",
    "valueset-expansion",
    "uuid-linkids-integer-options",
    "path-linkids-in-group",
)
TOTAL_TYPES = {"loinc-ordinal-on-option": "decimal", "valueset-expansion": "quantity"}


def weight(url: str, value: int) -> list[dict]:
    return [{"url": url, "valueDecimal": value}]


def link_id(measure: str, encoding: str, position: int, code: str) -> str:
    if encoding == "uuid-linkids-integer-options":
        return str(uuid.uuid5(uuid.NAMESPACE_URL, f"{measure}/{position}"))
    if encoding == "path-linkids-in-group":
        return f"/{measure}/{code}"
    return f"/{code}"


def answer_list(encoding: str) -> dict:
    """The answerOption or answerValueSet of every question, in this encoding."""
    if encoding == "loinc-ordinal-on-option":
        return {
            "answerOption": [
                {"extension": weight(ORDINAL, value), "valueCoding": {"system": LOINC, "code": code, "display": text}}
                for value, (code, text) in enumerate(ANSWERS)
            ]
        }
    if encoding in ("loinc-weight-on-coding", "path-linkids-in-group"):
        return {
            "answerOption": [
                {
                    "valueCoding": {
                        "extension": weight(ITEM_WEIGHT, value),
                        "system": LOINC,
                        "code": code,
                        "display": text,
                    }
                }
                for value, (code, text) in enumerate(ANSWERS)
            ]
        }
    if encoding == "uuid-linkids-integer-options":
        return {"answerOption": [{"valueInteger": value} for value in range(4)]}
    return {"answerValueSet": "#LL358-3"}


def value_set(encoding: str) -> list[dict]:
    concepts = [
        {"extension": weight(ITEM_WEIGHT, value), "code": code, "display": text}
        for value, (code, text) in enumerate(ANSWERS)
    ]
    if encoding == "sdc-contained-valueset":
        return [
            {
                "resourceType": "ValueSet",
                "id": "LL358-3",
                "status": "active",
                "compose": {"include": [{"system": LOINC, "concept": concepts}]},
            }
        ]
    if encoding == "valueset-expansion":
        contains = [
            {"extension": weight(ORDINAL, value), "system": LOINC, "code": code, "display": text}
            for value, (code, text) in enumerate(ANSWERS)
        ]
        return [
            {
                "resourceType": "ValueSet",
                "id": "LL358-3",
                "status": "active",
                "expansion": {"timestamp": "2024-01-01T00:00:00Z", "contains": contains},
            }
        ]
    return []


def questionnaire(measure: str, encoding: str) -> dict:
    """One measure in one encoding, with a hidden scoring key and a calculated total."""
    spec = MEASURES[measure]
    answers = answer_list(encoding)
    questions = [
        {
            "linkId": link_id(measure, encoding, position, code),
            "code": [{"system": LOINC, "code": code, "display": text}],
            "text": text,
            "type": "choice",
            "required": True,
            **copy.deepcopy(answers),
        }
        for position, (code, text) in enumerate(spec["items"])
    ]
    total_code, total_text = spec["total"]
    key = {
        "linkId": f"{measure}-scoring-key",
        "type": "display",
        "text": "STAFF ONLY: add the item scores; 10 or more needs follow-up.",
        "extension": [{"url": HIDDEN, "valueBoolean": True}],
    }
    total = {
        "linkId": f"/{total_code}",
        "code": [{"system": LOINC, "code": total_code, "display": total_text}],
        "text": total_text,
        "type": TOTAL_TYPES.get(encoding, "integer"),
        "readOnly": True,
        "extension": [
            {
                "url": CALCULATED,
                "valueExpression": {"language": "text/fhirpath", "expression": "%resource.item.answer.weight().sum()"},
            }
        ],
    }
    if encoding == "path-linkids-in-group":
        items = [{"linkId": f"/{measure}", "type": "group", "text": "Over the last two weeks", "item": questions}]
    else:
        items = questions
    panel_code, panel_text = spec["panel"]
    resource = {
        "resourceType": "Questionnaire",
        "id": f"{measure}-{encoding}",
        "url": f"http://example.org/fhir/Questionnaire/{measure}-{encoding}",
        "version": "2.1.0",
        "name": measure.upper(),
        "title": panel_text,
        "status": "active",
        "code": [{"system": LOINC, "code": panel_code, "display": panel_text}],
        "item": [key, *items, total],
    }
    if contained := value_set(encoding):
        resource["contained"] = contained
    return resource


def answer_codes(resource: dict, level: int) -> list[str]:
    """The code of the answer at ``level`` (0 to 3) for each question, as the imported document records it."""
    return [ANSWERS[level][0] if not is_integer(resource) else str(level)] * count(resource)


def is_integer(resource: dict) -> bool:
    return resource["id"].endswith("uuid-linkids-integer-options")


def count(resource: dict) -> int:
    return len(MEASURES[resource["id"].split("-", 1)[0]]["items"])


def question_keys(resource: dict) -> list[str]:
    found: list[str] = []

    def walk(items: list[dict]) -> None:
        for item in items:
            if item["type"] == "choice":
                found.append(item["linkId"])
            walk(item.get("item", []))

    walk(resource["item"])
    return found
