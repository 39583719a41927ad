"""The format says which questionnaires suit couples and, per question, which answers are healthy."""

from __future__ import annotations

import importlib
import json
from pathlib import Path

import pytest
from django.apps import apps as global_apps

import assessments
from assessments import document, services
from assessments.models import InstrumentStatus, InstrumentVersion
from tests.assessments.conftest import small_document
from tests.assessments.test_schema import schema_errors

DATA = Path(assessments.__file__).resolve().parent / "data"


def couples_document(**top) -> dict:
    """The small test instrument marked for couples: its one scale says higher is worse."""
    doc = small_document()
    doc.update({"couples": True, **top})
    return doc


def healthy(doc: dict) -> dict[str, str | None]:
    return {item["key"]: item["_healthy"] for item in document.parse(doc)["items"] if item["type"] != "section"}


def test_a_document_is_not_for_couples_unless_it_says_so() -> None:
    doc = document.parse(small_document())
    assert doc["couples"] is False
    assert all(item["healthy"] is None for item in doc["items"])
    assert "couples" not in document.exported(doc)


def test_the_healthy_direction_follows_reverse_keying_and_the_scales_direction() -> None:
    # The scale says higher is worse: low answers are healthy, and the reverse-keyed "calm" the other way.
    assert healthy(couples_document()) == {"low": "low", "calm": "high", "harm": "low", "notes": None}
    better = couples_document()
    better["scales"][0]["higher_is_worse"] = False
    assert healthy(better) == {"low": "high", "calm": "low", "harm": "high", "notes": None}


def test_a_stated_direction_wins_and_survives_export_and_rows() -> None:
    doc = couples_document()
    doc["items"][1]["healthy"] = "high"
    parsed = document.parse(doc)
    assert parsed["items"][1]["_healthy"] == "high"
    exported = document.exported(parsed)
    assert exported["couples"] is True and exported["items"][1]["healthy"] == "high"
    assert "healthy" not in exported["items"][2] and "_healthy" not in exported["items"][1]
    assert document.parse(exported) == parsed


@pytest.mark.django_db
def test_a_draft_keeps_the_flag_and_the_directions_in_its_rows() -> None:
    doc = couples_document()
    doc["items"][2]["healthy"] = "low"
    version, _warnings = services.instrument_import(json.dumps(doc), publish=True)
    draft = services.version_new_draft(version)
    assert draft.couples is True and draft.items.get(key="calm").healthy == "low"
    rebuilt = services.version_document(draft)
    assert rebuilt["couples"] is True and rebuilt["items"][2]["healthy"] == "low"
    assert services.version_publish(draft).definition["couples"] is True


@pytest.mark.parametrize(
    ("change", "path"),
    [
        (lambda doc: doc["items"][4].update(healthy="high"), "$.items[4].healthy"),  # a text question
        (lambda doc: doc["items"][1].update(healthy="up"), "$.items[1].healthy"),
        (lambda doc: doc.update(couples="yes"), "$.couples"),
    ],
)
def test_a_bad_flag_or_direction_is_refused_by_the_importer_and_the_schema(change, path: str) -> None:
    doc = couples_document()
    change(doc)
    with pytest.raises(document.DocumentError) as caught:
        document.parse(doc)
    assert path in [problem.path for problem in caught.value.problems]
    assert schema_errors(doc)


def test_the_schema_accepts_what_the_importer_accepts() -> None:
    doc = couples_document()
    doc["items"][1]["healthy"] = "low"
    assert schema_errors(doc) == []
    assert schema_errors(document.exported(document.parse(doc))) == []


def test_a_couples_questionnaire_must_state_what_it_cannot_derive() -> None:
    doc = couples_document()
    doc["scales"].append({"key": "calm-only", "label": "Calm", "items": ["calm"], "higher_is_worse": False})
    doc["items"].append({"key": "extra", "type": "integer", "text": "Days", "min": 0, "max": 7})
    with pytest.raises(document.DocumentError) as caught:
        document.parse(doc)
    # "calm" is in two scales that disagree; "extra" is in none.
    assert {problem.path for problem in caught.value.problems} == {"$.items[2].healthy", "$.items[5].healthy"}
    doc["items"][2]["healthy"], doc["items"][5]["healthy"] = "high", "low"
    assert healthy(doc)["calm"] == "high" and healthy(doc)["extra"] == "low"
    doc["couples"] = False
    del doc["items"][2]["healthy"]
    assert healthy(doc)["calm"] is None  # not for couples: nothing to compare, nothing to state


def test_a_couples_questionnaire_needs_something_to_compare() -> None:
    doc = {
        "format": document.FORMAT,
        "slug": "words",
        "title": "Words",
        "couples": True,
        "items": [{"key": "say", "type": "text", "text": "Say something"}],
    }
    with pytest.raises(document.DocumentError) as caught:
        document.parse(doc)
    assert [problem.path for problem in caught.value.problems] == ["$.couples"]


# Interdependence in Relationships, version 1.1


def load(name: str) -> dict:
    return json.loads((DATA / name).read_text(encoding="utf-8"))


def test_interdependence_1_1_asks_and_scores_exactly_what_1_0_did() -> None:
    old, new = load("interdependence-in-relationships-1.0.json"), load("interdependence-in-relationships-1.1.json")
    assert (new["version"], new["couples"]) == ("1.1", True)
    for field in ("slug", "title", "instructions", "copyright", "answer_scales", "items", "scales", "risk_items"):
        assert new[field] == old[field], field
    assert document.exported(document.parse(new)) == new  # frozen in canonical form


def test_interdependence_1_1_finds_the_healthy_answers_from_its_reverse_keying() -> None:
    doc = document.parse(load("interdependence-in-relationships-1.1.json"))
    questions = [item for item in doc["items"] if item["type"] == "single_choice"]
    assert len(questions) == 27
    assert all(item["_healthy"] == ("low" if item["reverse_keyed"] else "high") for item in questions)
    assert sum(item["_healthy"] == "low" for item in questions) == 9


@pytest.mark.django_db
def test_migrate_publishes_1_1_and_retires_1_0() -> None:
    versions = InstrumentVersion.objects.filter(instrument__slug="interdependence-in-relationships")
    assert [(v.number, v.label, v.status, v.couples) for v in versions.order_by("number")] == [
        (1, "1.0", InstrumentStatus.RETIRED, False),
        (2, "1.1", InstrumentStatus.PUBLISHED, True),
    ]
    assert versions.get(number=2).items.filter(healthy="").count() == versions.get(number=2).items.count()


@pytest.mark.django_db
def test_the_migration_leaves_a_library_questionnaire_changed_since_alone() -> None:
    migration = importlib.import_module("assessments.migrations.0011_interdependence_for_couples")
    versions = InstrumentVersion.objects.filter(instrument__slug="interdependence-in-relationships")
    before = list(versions.values_list("number", "status"))
    migration.install(global_apps, None)  # 1.1 is already there: nothing more
    assert list(versions.values_list("number", "status")) == before
    versions.filter(number=2).update(status=InstrumentStatus.RETIRED)
    versions.filter(number=1).update(status=InstrumentStatus.PUBLISHED, label="1.0-ours")
    migration.install(global_apps, None)
    assert versions.count() == 2 and versions.get(status=InstrumentStatus.PUBLISHED).label == "1.0-ours"


# Another order for the second partner


def test_shuffled_questions_keep_headings_conditions_and_what_they_watch_in_place() -> None:
    doc = document.parse(small_document())
    (page,) = document.pages(doc)
    items = page["items"]
    assert document.shuffled(items, None) is items
    # low is watched by harm's condition and harm has one; calm and notes are free, and always swap.
    for seed in range(20):
        assert [item["key"] for item in document.shuffled(items, seed)] == ["low", "notes", "harm", "calm"]
    many = [{"key": f"q{n}", "type": "integer", "enable_when": None} for n in range(6)]
    orders = {tuple(item["key"] for item in document.shuffled(many, seed)) for seed in range(30)}
    assert tuple(f"q{n}" for n in range(6)) not in orders and len(orders) > 5
    assert document.shuffled(many, 7) == document.shuffled(many, 7)  # the same every time it is opened
