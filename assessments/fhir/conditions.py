"""enableWhen: conditions name earlier questions by key and compare with option codes or numbers.

A group's condition applies to everything in it. A condition Tandem cannot honour (an unknown or
later question, an unsupported operator or answer) stops the import with its JSON path: dropping it
would show the item it guards to everyone.
"""

from __future__ import annotations

from collections.abc import Mapping

from assessments.document import OPERATORS, QUESTION_TYPES
from assessments.fhir.primitives import FAIL, MAX_NUMBER, is_int, kind_of, number, quote
from assessments.fhir.state import Imported, ImportState

CHOICES = ("single_choice", "multiple_choice")


def enable_when(state: ImportState, node: dict, link_id: str) -> dict | None:
    """An item's own enableWhen as a document condition; None when it has none (or a problem was recorded)."""
    if "enableWhen" not in node:
        return None
    raw = node["enableWhen"]
    if not isinstance(raw, list):
        state.fail(link_id, ".enableWhen", f"must be a list of conditions, not {kind_of(raw)}")
        return None
    behavior = node.get("enableBehavior", "all")
    if "enableBehavior" not in node and len(raw) > 1:
        state.warn(link_id, "enableBehavior is missing, as FHIR requires with several conditions; 'all' was used.")
    if behavior not in ("all", "any"):
        shown = quote(behavior) if isinstance(behavior, str) else kind_of(behavior)
        state.fail(link_id, ".enableBehavior", f"must be 'all' or 'any', not {shown}")
    found = [condition(state, entry, index, link_id) for index, entry in enumerate(raw)]
    if not raw or any(entry is None for entry in found) or behavior not in ("all", "any"):
        return None
    return {"behavior": behavior, "conditions": unique_conditions(found)}


def condition(state: ImportState, entry: object, index: int, link_id: str) -> dict | None:
    """One enableWhen entry as a document condition, or None after recording why it cannot be honoured."""
    where = f".enableWhen[{index}]"
    if not isinstance(entry, dict):
        state.fail(link_id, where, f"must be an object, not {kind_of(entry)}")
        return None
    question, operator = entry.get("question"), entry.get("operator")
    if not isinstance(question, str):
        state.fail(link_id, f"{where}.question", "must name the linkId of an earlier question")
        return None
    if not isinstance(operator, str) or operator not in OPERATORS:
        shown = quote(operator) if isinstance(operator, str) else kind_of(operator)
        state.fail(link_id, f"{where}.operator", f"must be one of {', '.join(OPERATORS)}, not {shown}")
        return None
    target = _target(state, question, link_id, where)
    if target is None:
        return None
    fields = [key for key in entry if isinstance(key, str) and key.startswith("answer")]
    if len(fields) != 1:
        state.fail(link_id, where, f"needs exactly one answer[x], not {len(fields)}")
        return None
    answer = condition_answer(state, target, operator, fields[0], entry[fields[0]], link_id, where)
    if answer is FAIL:
        state.fail(
            link_id,
            f"{where}.{fields[0]}",
            f"cannot be compared with the answers to {quote(question)} using {quote(operator)}",
        )
        return None
    if isinstance(answer, str) and target.options and not any(o.code == answer for o in target.options):
        state.warn(link_id, f"enableWhen[{index}] compares {quote(question)} with an answer it does not offer.")
    return {"item": target.item["key"], "operator": operator, "answer": answer}


def _target(state: ImportState, question: str, link_id: str, where: str) -> Imported | None:
    """The imported question a condition names, or None (after a problem) if it cannot be depended on."""
    target = state.imported.get(question)
    if target is None:
        if question == link_id:
            reason = "an item cannot depend on itself"
        elif question in state.skipped:
            reason = f"names {quote(question)}, which is not imported, so the condition could never be checked"
        elif question in state.paths:
            reason = f"names {quote(question)}, which comes later; a condition can only look back"
        else:
            reason = f"names {quote(question)}, which is not in the questionnaire"
        state.fail(link_id, f"{where}.question", reason)
        return None
    if target.item["type"] not in QUESTION_TYPES:
        state.fail(link_id, f"{where}.question", f"names {quote(question)}, which asks nothing")
        return None
    return target


def condition_answer(
    state: ImportState, target: Imported, operator: str, field: str, raw: object, link_id: str, where: str
) -> object:
    """The answer[x] of a condition as the document compares it: an option code, a number or text; else FAIL."""
    if operator == "exists":
        return raw if field == "answerBoolean" and isinstance(raw, bool) else FAIL
    if field == "answerBoolean":
        return ("yes" if raw else "no") if target.boolean and isinstance(raw, bool) else FAIL
    if field == "answerCoding":
        return _coding_answer(target, raw)
    if field in ("answerInteger", "answerDecimal"):
        return _number_answer(state, target, operator, field, raw, link_id, where)
    if field == "answerString" and isinstance(raw, str) and target.item["type"] in ("text", *CHOICES):
        return _string_answer(target, raw)
    return FAIL


def _coding_answer(target: Imported, raw: object) -> object:
    if target.item["type"] not in CHOICES or not isinstance(raw, dict) or not isinstance(raw.get("code"), str):
        return FAIL
    system = raw.get("system")
    for option in target.options:
        source, option_system, code = option.source
        same_system = not (isinstance(system, str) and option_system and system != option_system)
        if source == "coding" and code == raw["code"] and same_system:
            return option.code
    return FAIL


def _number_answer(
    state: ImportState, target: Imported, operator: str, field: str, raw: object, link_id: str, where: str
) -> object:
    """A number, or the code of the integer answer it equals (for = and !=)."""
    value = number(raw)
    if value is None or abs(value) > MAX_NUMBER or (field == "answerInteger" and not is_int(value)):
        return FAIL
    numbered = [option for option in target.options if option.source[0] == "integer"]
    if not numbered:
        return value
    if operator in ("=", "!="):
        return next((option.code for option in numbered if option.source[1] == value), value)
    if any(option.value != option.source[1] for option in numbered):
        state.warn(
            link_id, f"{where[1:]} compares {quote(target.item['key'])} by its answers' weights, not their numbers."
        )
    return value


def _string_answer(target: Imported, raw: str) -> str:
    for option in target.options:
        if option.source[0] == "string" and option.source[1] == raw:
            return option.code
    return raw.replace("\x00", "")


def combine(state: ImportState, outer: dict | None, inner: dict | None, link_id: str) -> dict | None:
    """A group's condition applies to everything in it; both must hold, which 'all' can say only sometimes."""
    if outer is None or inner is None:
        return outer or inner
    if all_able(outer) and all_able(inner):
        return {"behavior": "all", "conditions": unique_conditions(outer["conditions"] + inner["conditions"])}
    state.fail(
        link_id,
        ".enableWhen",
        "cannot be combined with its group's enableWhen: one of them uses enableBehavior 'any' "
        "with several conditions, and an item holds only one list of conditions",
    )
    return inner


def all_able(condition: Mapping) -> bool:
    """Whether a condition can be written with behaviour 'all' (one condition is both 'all' and 'any')."""
    return condition["behavior"] == "all" or len(condition["conditions"]) == 1


def tagged(conditions: list[dict]) -> list[tuple]:
    """Conditions compared with the answer's type, so True, 1 and 1.0 stay different."""
    return [(c["item"], c["operator"], type(c["answer"]).__name__, c["answer"]) for c in conditions]


def unique_conditions(conditions: list[dict]) -> list[dict]:
    seen: set[tuple] = set()
    unique = []
    for entry, tag in zip(conditions, tagged(conditions), strict=True):
        if tag not in seen:
            seen.add(tag)
            unique.append(entry)
    return unique
