"""Instrument versions: import all-or-nothing, lossless round trips, publishing checks, immutability."""

from __future__ import annotations

import json

import pytest

from assessments import services
from assessments.document import DocumentError
from assessments.models import (
    Band,
    Instrument,
    InstrumentStatus,
    InstrumentVersion,
    Item,
    Response,
    VersionLocked,
)
from tests.assessments.conftest import small_document


def test_an_import_creates_a_draft_with_every_part(make_version):
    version = make_version(publish=False)
    assert version.status == InstrumentStatus.DRAFT
    assert version.number == 1
    assert list(version.items.values_list("key", flat=True)) == ["intro", "low", "calm", "harm", "notes"]
    assert version.items.get(key="calm").reverse_keyed
    assert version.items.get(key="harm").risk_threshold == 1
    assert version.answer_scales.get().options.count() == 4
    total = version.scales.get()
    assert total.is_total and set(total.items.values_list("key", flat=True)) == {"low", "calm", "harm"}
    assert list(total.bands.values_list("label", flat=True)) == ["Low", "Moderate", "High"]


def test_export_then_import_then_export_gives_the_same_document(make_version):
    first = services.version_export(make_version(publish=False))
    again = services.version_export(services.instrument_import(json.dumps(first))[0])
    assert again == first
    assert first == services.document.exported(services.document.parse(small_document()))


def test_a_published_version_exports_its_frozen_definition(make_version):
    version = make_version()
    assert version.definition == services.version_export(version)
    assert services.version_document(version) == services.document.parse(version.definition)


@pytest.mark.parametrize(
    ("mutate", "path", "message"),
    [
        (lambda d: d["items"][1].update(type="slider"), "$.items[1].type", "must be one of"),
        (lambda d: d["items"][2].update(key="low"), "$.items[2].key", "repeats the item key 'low'"),
        (
            lambda d: d["items"][1].update(
                enable_when={"conditions": [{"item": "harm", "operator": "exists", "answer": True}]}
            ),
            "$.items[1].enable_when.conditions[0].item",
            "must name an earlier question",
        ),
        (
            lambda d: d["items"][3]["enable_when"]["conditions"][0].update(item="harm"),
            "$.items[3].enable_when.conditions[0].item",
            "cannot depend on itself",
        ),
        (lambda d: d["scales"][0]["items"].append("ghost"), "$.scales[0].items[3]", "names no item: 'ghost'"),
        (lambda d: d["scales"][0]["items"].append("notes"), "$.scales[0].items[3]", "cannot be scored"),
        (
            lambda d: d["answer_scales"][0]["options"][1].update(value=0),
            "$.answer_scales[0].options[1].value",
            "repeats",
        ),
        (lambda d: d.update(slug="Mood Check!"), "$.slug", "lowercase letters"),
        (lambda d: d["items"][1].update(colour="red"), "$.items[1].colour", "not a field"),
        (lambda d: d["risk_items"][0].update(item="notes"), "$.risk_items[0].item", "no numeric answers"),
    ],
)
def test_a_bad_document_names_the_path_of_the_problem_and_saves_nothing(db, mutate, path, message):
    doc = small_document()
    mutate(doc)
    with pytest.raises(DocumentError) as caught:
        services.instrument_import(doc)
    assert any(problem.path == path and message in problem.message for problem in caught.value.problems), (
        caught.value.problems
    )
    assert not Instrument.objects.filter(slug__in=["mood-check", "Mood Check!"]).exists()
    assert not Item.objects.filter(key="low").exists()


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"{not json", "not valid JSON"),
        (b"\xff\xfe\x00", "not valid JSON"),
        (b"[1, 2]", "must be an object"),
        (b"x" * (2 * 1024 * 1024 + 1), "larger than 2 MB"),
    ],
)
def test_malformed_files_are_refused_with_a_clear_message(db, raw, message):
    installed = set(InstrumentVersion.objects.values_list("pk", flat=True))  # what migrate shipped
    with pytest.raises(DocumentError, match=message):
        services.instrument_import(raw)
    assert set(InstrumentVersion.objects.values_list("pk", flat=True)) == installed


def test_an_import_that_fails_late_leaves_nothing_behind(db, monkeypatch):
    """Even a failure after rows were written (here: publishing) rolls the whole import back."""
    doc = small_document()
    doc["scales"][0]["bands"].pop()  # scores 7-9 fall in no band: publish refuses
    with pytest.raises(DocumentError, match=r"fall in no band|highest possible score"):
        services.instrument_import(doc, publish=True)
    assert not Instrument.objects.filter(slug="mood-check").exists()
    assert not Band.objects.filter(label="Low").exists()


def test_publishing_checks_that_bands_cover_the_scale(make_version):
    doc = small_document()
    doc["scales"][0]["bands"][1]["low"] = 5  # a gap at 4
    version = make_version(doc, publish=False)
    with pytest.raises(DocumentError) as caught:
        services.version_publish(version)
    assert caught.value.problems[0].path == "$.scales[0].bands"
    assert "fall in no band" in caught.value.problems[0].message
    version.refresh_from_db()
    assert version.status == InstrumentStatus.DRAFT and version.definition is None


def test_publishing_a_new_version_retires_the_old_one(make_version):
    first = make_version()
    second = services.version_publish(services.version_new_draft(first))
    first.refresh_from_db()
    assert (first.status, second.status) == (InstrumentStatus.RETIRED, InstrumentStatus.PUBLISHED)
    assert second.number == 2 and second.based_on == first
    assert first.instrument.published_version == second


def test_a_published_version_cannot_be_changed_through_the_model_layer(make_version):
    version = make_version()
    version.title = "Something else"
    with pytest.raises(VersionLocked):
        version.save()
    item = version.items.get(key="low")
    item.text = "Changed"
    with pytest.raises(VersionLocked):
        item.save()
    with pytest.raises(VersionLocked):
        item.delete()
    band = Band.objects.filter(scale__version=version).first()
    band.high = 99
    with pytest.raises(VersionLocked):
        band.save()
    with pytest.raises(VersionLocked):
        version.delete()
    assert InstrumentVersion.objects.get(pk=version.pk).title == "Mood check"
    assert Item.objects.get(pk=item.pk).text == "Feeling low"


def test_responses_keep_pointing_at_the_version_they_answered(make_version, cara):
    first = make_version()
    response = Response.objects.create(version=first, respondent=cara, answers={"low": "1"})
    second = services.version_publish(services.version_new_draft(first))
    response.refresh_from_db()
    assert response.version == first and second != first
    with pytest.raises(Exception, match="protected"):
        first.instrument.versions.all().delete()


def test_scoring_a_version_flags_risk_and_reverse_keys(make_version):
    result = services.version_score(make_version(), {"low": "2", "calm": "0", "harm": "1"})
    assert result["scales"]["total"]["value"] == 2 + 3 + 1
    assert result["scales"]["total"]["band"] == "Moderate"
    assert result["risk_flags"] == [{"item": "harm", "value": 1, "threshold": 1, "label": "Self-harm thoughts"}]
