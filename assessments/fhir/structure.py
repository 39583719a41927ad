"""The shape of the item tree: everything that makes items impossible to tell apart is an error, reported at once.

The survey also chooses each item's key: linkIds are kept unchanged wherever a key can hold them.
"""

from __future__ import annotations

import hashlib
import re

from assessments.document import Problem
from assessments.fhir.primitives import kind_of, quote
from assessments.fhir.state import ImportState

MAX_DEPTH = 50
CLEAN_KEY = re.compile(r"[^\s]{1,100}")
WHITESPACE = re.compile(r"\s+")


def survey(state: ImportState, container: dict, path: str, depth: int) -> None:
    """Record every linkId with its path, and a problem for each item that has none, repeats one or lacks a type."""
    if "item" not in container:
        return
    nodes = container["item"]
    if not isinstance(nodes, list):
        state.problems.append(Problem(f"{path}.item", f"must be a list, not {kind_of(nodes)}"))
        return
    if depth >= MAX_DEPTH and nodes:
        state.problems.append(Problem(f"{path}.item", f"nests items more than {MAX_DEPTH} levels deep"))
        return
    for index, node in enumerate(nodes):
        where = f"{path}.item[{index}]"
        if not isinstance(node, dict):
            state.problems.append(Problem(where, f"must be an object, not {kind_of(node)}"))
            continue
        _survey_link_id(state, node, where)
        _survey_type(state, node, where)
        survey(state, node, where, depth + 1)


def _survey_link_id(state: ImportState, node: dict, where: str) -> None:
    link_id = node.get("linkId")
    if "linkId" not in node:
        state.problems.append(Problem(f"{where}.linkId", "is required"))
    elif not isinstance(link_id, str) or not link_id:
        state.problems.append(Problem(f"{where}.linkId", f"must be non-empty text, not {kind_of(link_id)}"))
    elif link_id in state.paths:
        state.problems.append(
            Problem(f"{where}.linkId", f"repeats the linkId {quote(link_id)} of {state.paths[link_id]}")
        )
    else:
        state.paths[link_id] = where


def _survey_type(state: ImportState, node: dict, where: str) -> None:
    kind = node.get("type")
    if "type" not in node:
        state.problems.append(Problem(f"{where}.type", "is required"))
    elif not isinstance(kind, str):
        state.problems.append(Problem(f"{where}.type", f"must be text, not {kind_of(kind)}"))


def assign_keys(state: ImportState) -> None:
    """LinkIds become item keys unchanged; the few a key cannot hold are sanitised the same way every time."""
    taken = {link_id for link_id in state.paths if _clean_key(link_id)}
    for link_id in state.paths:
        if _clean_key(link_id):
            state.keys[link_id] = link_id
            continue
        base = WHITESPACE.sub("_", link_id.replace("\x00", "")) or "item"
        if len(base) > 100:
            base = f"{base[:91]}-{_digest(link_id)}"
        key, number = base, 1
        while key in taken:
            number += 1
            key = f"{base[:90]}-{number}"
        taken.add(key)
        state.keys[link_id] = key
        state.warn(link_id, f"a linkId cannot contain spaces or exceed 100 characters, so it became {quote(key)}.")


def _clean_key(link_id: str) -> bool:
    return "\x00" not in link_id and CLEAN_KEY.fullmatch(link_id) is not None


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:8]
