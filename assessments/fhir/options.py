"""Choice items: answers from answerOption or a contained ValueSet, each with its weight if it has one."""

from __future__ import annotations

from collections.abc import Iterator

from assessments.fhir.primitives import MAX_NUMBER, clean, is_int, kind_of, quote
from assessments.fhir.scales import check_weights, weight
from assessments.fhir.state import Imported, ImportState, Option


def collect_value_sets(state: ImportState) -> None:
    """Index the contained ValueSets by '#id' and by URL, the two ways answerValueSet names them."""
    contained = state.resource.get("contained", [])
    if not isinstance(contained, list):
        state.note("contained: must be a list; ignored.")
        return
    for entry in contained:
        if not isinstance(entry, dict) or entry.get("resourceType") != "ValueSet":
            continue
        if isinstance(entry.get("id"), str):
            state.value_sets.setdefault(f"#{entry['id']}", entry)
        if isinstance(entry.get("url"), str):
            state.value_sets.setdefault(entry["url"], entry)


def choice(state: ImportState, node: dict, link_id: str, base: dict) -> Imported | None:
    """A choice item with its options, or None (after a warning) when it offers none that can be imported."""
    if node["type"] == "open-choice" or node.get("answerConstraint") in ("optionsOrString", "optionsOrType"):
        state.warn(link_id, "answers other than the listed options are not supported; only the options are kept.")
    found = _listed_options(state, node, link_id)
    if not found:
        state.leave_out(link_id, "has no answers that can be imported; skipped.")
        return None
    found = unique_codes(state, found, link_id)
    multiple = node.get("repeats") is True
    check_weights(state, found, link_id, multiple)
    item = {
        **base,
        "type": "multiple_choice" if multiple else "single_choice",
        "options": [
            {"code": o.code, "label": o.label, "value": o.value, **({"system": o.system} if o.system else {})}
            for o in found
        ],
    }
    return Imported(item, found)


def _listed_options(state: ImportState, node: dict, link_id: str) -> list[Option]:
    if "answerOption" in node:
        if "answerValueSet" in node:
            state.warn(link_id, "has both answerOption and answerValueSet; the answerOption list is used.")
        return answer_options(state, node["answerOption"], link_id)
    if "answerValueSet" in node:
        return value_set_options(state, node["answerValueSet"], link_id)
    return []


def answer_options(state: ImportState, raw: object, link_id: str) -> list[Option]:
    if not isinstance(raw, list):
        state.warn(link_id, f"answerOption must be a list, not {kind_of(raw)}.")
        return []
    found = []
    for index, entry in enumerate(raw):
        if not isinstance(entry, dict):
            state.warn(link_id, f"answerOption[{index}] must be an object; skipped.")
            continue
        option = answer_option(state, entry, index, link_id)
        if option is not None:
            found.append(option)
    return found


def answer_option(state: ImportState, entry: dict, index: int, link_id: str) -> Option | None:
    """One answerOption: a coding, a whole number or a string; other value types are skipped."""
    where = f"answerOption[{index}]"
    if "valueCoding" in entry:
        coding = entry["valueCoding"]
        if not isinstance(coding, dict):
            state.warn(link_id, f"{where}.valueCoding must be an object; skipped.")
            return None
        return coded_option(state, coding, weight(state, [entry, coding], link_id, where), link_id, where)
    if "valueInteger" in entry:
        value = entry["valueInteger"]
        if not is_int(value) or abs(value) > MAX_NUMBER:
            state.warn(link_id, f"{where}.valueInteger must be a whole number within ±10⁹; skipped.")
            return None
        found = weight(state, [entry], link_id, where)
        return Option(str(value), str(value), "", value if found is None else found, ("integer", value, None))
    if "valueString" in entry:
        text = entry["valueString"]
        if not isinstance(text, str) or not clean(text, 200).strip():
            state.warn(link_id, f"{where}.valueString must be non-empty text; skipped.")
            return None
        found = weight(state, [entry], link_id, where)
        return Option(clean(text, 200), clean(text, 500), "", found, ("string", text, None))
    value_keys = sorted(key for key in entry if isinstance(key, str) and key.startswith("value"))
    shown = f"{value_keys[0]} answers" if value_keys else "answers without a value"
    state.warn(link_id, f"{where}: {shown} are not supported; skipped.")
    return None


def coded_option(
    state: ImportState, coding: dict, found_weight: object, link_id: str, where: str, system: object = None
) -> Option | None:
    """An option from a Coding or ValueSet concept; ``system`` is the include's, for concepts that have none."""
    code = coding.get("code")
    if not isinstance(code, str) or not clean(code, 200):
        state.warn(link_id, f"{where} has no code; skipped.")
        return None
    system = coding.get("system", system)
    system = system if isinstance(system, str) else ""
    display = coding.get("display")
    label = display if isinstance(display, str) and display.strip() else code
    return Option(
        clean(code, 200),
        clean(label, 500),
        clean(system, 500),
        found_weight,
        ("coding", system, code),  # type: ignore[arg-type]
    )


def value_set_options(state: ImportState, ref: object, link_id: str) -> list[Option]:
    """The concepts of a contained ValueSet: its compose list, or else its expansion; any other is a problem."""
    if not isinstance(ref, str):
        state.warn(link_id, f"answerValueSet must be text, not {kind_of(ref)}.")
        return []
    value_set = state.value_sets.get(ref)
    if value_set is None:
        state.fail(
            link_id,
            ".answerValueSet",
            f"names the ValueSet {quote(ref)}, which is not contained in the questionnaire, so its answers are "
            "unknown: add the ValueSet to 'contained', with its concepts or an expansion",
        )
        return []
    return _composed_options(state, value_set, link_id) or _expanded_options(state, value_set, link_id)


def _composed_options(state: ImportState, value_set: dict, link_id: str) -> list[Option]:
    compose = value_set.get("compose")
    if not isinstance(compose, dict):
        return []
    if compose.get("exclude"):
        state.warn(link_id, "ValueSet exclusions are not supported; ignored.")
    found: list[Option] = []
    includes = compose.get("include")
    for index, include in enumerate(includes if isinstance(includes, list) else []):
        if isinstance(include, dict):
            found.extend(_included_options(state, include, link_id, f"ValueSet include[{index}]"))
    return found


def _included_options(state: ImportState, include: dict, link_id: str, where: str) -> Iterator[Option]:
    if include.get("filter") or include.get("valueSet"):
        state.warn(link_id, f"{where}: filters and other value sets are not supported; ignored.")
    concepts = include.get("concept")
    for position, concept in enumerate(concepts if isinstance(concepts, list) else []):
        if isinstance(concept, dict):
            here = f"{where}.concept[{position}]"
            found_weight = weight(state, [concept], link_id, here)
            option = coded_option(state, concept, found_weight, link_id, here, include.get("system"))
            if option is not None:
                yield option


def _expanded_options(state: ImportState, value_set: dict, link_id: str) -> list[Option]:
    expansion = value_set.get("expansion")
    contains = expansion.get("contains") if isinstance(expansion, dict) else None
    found = []
    for position, concept in enumerate(_flat_contains(contains, 0)):
        here = f"ValueSet expansion.contains[{position}]"
        option = coded_option(state, concept, weight(state, [concept], link_id, here), link_id, here)
        if option is not None:
            found.append(option)
    return found


def _flat_contains(contains: object, depth: int) -> Iterator[dict]:
    if not isinstance(contains, list) or depth > 10:
        return
    for entry in contains:
        if isinstance(entry, dict):
            if isinstance(entry.get("code"), str):
                yield entry
            yield from _flat_contains(entry.get("contains"), depth + 1)


def unique_codes(state: ImportState, found: list[Option], link_id: str) -> list[Option]:
    """Repeated codes get a suffix, so that every answer stays one the respondent can give."""
    seen: set[str] = set()
    for option in found:
        if option.code in seen:
            base, number = option.code[:190], 2
            while f"{base}~{number}" in seen:
                number += 1
            state.warn(link_id, f"the answer code {quote(option.code)} repeats; it became {base}~{number}.")
            option.code = f"{base}~{number}"
        seen.add(option.code)
    return found
