"""The engine's commands: import_instrument, export_instrument and score_answers."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from assessments.models import InstrumentVersion
from tests.assessments.conftest import small_document
from tests.assessments.test_interdependence import HAND_ANSWERS


def run(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO())
    return out.getvalue()


@pytest.mark.django_db
def test_interdependence_in_relationships_is_published_after_migrate():
    version = InstrumentVersion.objects.published().get(instrument__slug="interdependence-in-relationships")
    assert version.scales.filter(is_total=False).count() >= 3
    assert all(scale.bands.count() >= 3 for scale in version.scales.all())
    assert version.items.filter(type="single_choice").count() >= 20
    assert "not a validated diagnostic instrument" in version.description


@pytest.mark.django_db
def test_score_answers_matches_the_hand_computed_scores(tmp_path):
    answers = tmp_path / "paper-form.json"
    answers.write_text(json.dumps(HAND_ANSWERS))
    result = json.loads(run("score_answers", "interdependence-in-relationships", str(answers)))
    # Worked out by hand in tests/assessments/test_interdependence.py: 32/9, 25/9, 18/9, 75/27.
    assert result["scales"]["self"]["value"] == 3.56
    assert result["scales"]["connection"]["value"] == 2.78
    assert result["scales"]["balance"]["value"] == 2.0
    assert result["scales"]["total"]["value"] == 2.78
    assert result["scales"]["balance"]["band"] == "Leaning codependent"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{broken", "is not valid JSON"),
        ("[1]", "must hold an object"),
        ('{"ir01": "7"}', "ir01: '7' is not one of the answers"),
        ('{"nonsense": "1"}', "nonsense: There is no question"),
    ],
)
def test_score_answers_rejects_bad_answers_clearly(tmp_path, content, message):
    answers = tmp_path / "answers.json"
    answers.write_text(content)
    with pytest.raises(CommandError, match=message):
        run("score_answers", "interdependence-in-relationships", str(answers))


@pytest.mark.django_db
def test_import_prints_the_slug_and_version_and_export_round_trips(tmp_path):
    source = tmp_path / "mood.json"
    source.write_text(json.dumps(small_document()))
    assert run("import_instrument", str(source), "--publish").strip() == "mood-check 1 (version 1, published)"
    exported = json.loads(run("export_instrument", "mood-check"))
    again = tmp_path / "again.json"
    again.write_text(json.dumps(exported))
    assert run("import_instrument", str(again)).strip() == "mood-check 1 (version 2, draft)"
    assert json.loads(run("export_instrument", "mood-check", "--number", "2")) == exported


@pytest.mark.django_db
def test_import_of_a_bad_file_says_what_and_where(tmp_path):
    source = tmp_path / "bad.json"
    doc = small_document()
    doc["items"][2]["key"] = "low"
    source.write_text(json.dumps(doc))
    with pytest.raises(CommandError, match=r"nothing was saved:\n  \$\.items\[2\]\.key: repeats the item key 'low'"):
        run("import_instrument", str(source))
    with pytest.raises(CommandError, match="Cannot read"):
        run("import_instrument", str(tmp_path / "missing.json"))


@pytest.mark.django_db
def test_export_of_an_unknown_instrument_is_a_clear_error():
    with pytest.raises(CommandError, match="no instrument 'nope'"):
        run("export_instrument", "nope")
