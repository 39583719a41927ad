"""Hostile documents: whatever JSON arrives, the importer answers with DocumentError or a document."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assessments import document
from tests.assessments.conftest import small_document

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(["items", "scales", "answer_scales", "risk_items"]), st.integers(0, 4), JSON)
def test_any_value_anywhere_is_a_document_error_never_a_crash(section, index, value):
    doc = small_document()
    entries = doc[section]
    if entries:
        target = entries[index % len(entries)]
        field = sorted(target)[index % len(target)]
        target[field] = value
    try:
        parsed = document.parse(doc)
    except document.DocumentError as exc:
        assert exc.problems and all(problem.path.startswith("$") for problem in exc.problems)
    else:
        assert parsed["slug"] == "mood-check"  # anything accepted is a whole, scorable document
        document.score_document(parsed, {})


@pytest.mark.parametrize(
    ("mutate", "path"),
    [
        (lambda d: d["items"][1].update(answer_scale=[]), "$.items[1].answer_scale"),
        (lambda d: d["scales"][0]["items"].append({}), "$.scales[0].items[3]"),
        (lambda d: d["risk_items"][0].update(item={}), "$.risk_items[0].item"),
        (lambda d: d["risk_items"][0].update(threshold=10**400), "$.risk_items[0].threshold"),
        (lambda d: d.update(slug=""), "$.slug"),
        (lambda d: d.update(slug="mood\n"), "$.slug"),
        (lambda d: d["items"][1].update(key="low\n"), "$.items[1].key"),
        (lambda d: d["items"][1].update(key="lo\x00w"), "$.items[1].key"),
        (lambda d: d["items"][1].update(key="lo\ud800w"), "$.items[1].key"),
        (lambda d: d["items"][1].update(text="Feeling \ud800 low"), "$.items[1].text"),
        (lambda d: d["answer_scales"][0].update(key=""), "$.answer_scales[0].key"),
        (lambda d: d["scales"][0]["bands"][0].update(low=None), "$.scales[0].bands[0].low"),
        (lambda d: d["items"][1].update(text=None), "$.items[1].text"),
        (lambda d: d["items"][3]["enable_when"]["conditions"][0].update(answer=float("nan")), "$.items[3]"),
        (lambda d: d["risk_items"].append({"item": "harm", "threshold": 2}), "$.risk_items[1].item"),
    ],
)
def test_values_that_once_slipped_through_are_refused_with_their_path(mutate, path):
    doc = small_document()
    mutate(doc)
    with pytest.raises(document.DocumentError) as caught:
        document.parse(doc)
    assert any(problem.path.startswith(path) for problem in caught.value.problems), caught.value.problems
