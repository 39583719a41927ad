"""A FHIR Questionnaire that is a library measure keeps the library's scoring: it publishes, scores, bands and
flags exactly as the library's own copy; an unknown scored questionnaire says what it lacks."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from assessments import document, fhir, services
from assessments.fhir.measures import library_documents
from assessments.models import InstrumentStatus
from tests.assessments import fhir_documents as docs

CASES = [
    pytest.param(measure, encoding, id=f"{measure}-{encoding}")
    for measure in docs.MEASURES
    for encoding in docs.ENCODINGS
]
LIBRARY = {"phq9": "phq-9", "gad7": "gad-7"}


def imported(resource: dict) -> tuple[dict, list[str]]:
    converted, warnings = fhir.questionnaire_to_document(resource)
    return document.parse(converted), warnings


def levels(resource: dict, *answers: int) -> dict[str, str]:
    """Answers at the given levels (0 to 3), one per question in order, written as the file writes them."""
    keys = docs.question_keys(resource)
    return {key: docs.answer_codes(resource, level)[0] for key, level in zip(keys, answers, strict=True)}


def library_result(measure: str, *answers: int) -> dict:
    library = library_documents()[LIBRARY[measure]]
    keys = [key for scale in library["scales"] if scale["total"] for key in scale["items"]]
    return document.result_as_json(document.score_document(library, dict(zip(keys, answers, strict=True))))


def comparable(result: dict) -> tuple:
    total = result["scales"]["total"]
    flags = [(flag["value"], flag["threshold"], flag["label"]) for flag in result["risk_flags"]]
    return total["value"], total["band"], total["severity"], total["clinical"], flags


@pytest.mark.django_db
@pytest.mark.parametrize(("measure", "encoding"), CASES)
def test_a_library_measure_publishes_and_scores_bands_and_flags_as_the_library(measure: str, encoding: str) -> None:
    resource = docs.questionnaire(measure, encoding)
    count = docs.count(resource)

    version, warnings = services.instrument_import(resource, publish=True)

    assert version.status == InstrumentStatus.PUBLISHED
    assert any(warning.startswith(f"Recognised as the {measure[:3].upper()}") for warning in warnings)
    for answers in ((0,) * count, (1,) * count, (3,) * count, (2, 0, 1, 3, 0, 2, 1, 0, 1)[:count]):
        ours = services.version_score(version, levels(resource, *answers))
        assert comparable(ours) == comparable(library_result(measure, *answers)), answers


@pytest.mark.parametrize("encoding", docs.ENCODINGS)
def test_a_phq9_all_several_days_scores_9_in_the_mild_band(encoding: str) -> None:
    resource = docs.questionnaire("phq9", encoding)
    doc, _ = imported(resource)

    result = document.result_as_json(document.score_document(doc, levels(resource, *(1,) * 9)))

    assert (result["scales"]["total"]["value"], result["scales"]["total"]["band"]) == (9, "Mild")
    assert result["scales"]["total"]["label"] == docs.MEASURES["phq9"]["total"][1]  # the file's own label


@pytest.mark.parametrize("encoding", docs.ENCODINGS)
def test_phq9_item_9_alone_at_several_days_raises_a_risk_flag(encoding: str) -> None:
    resource = docs.questionnaire("phq9", encoding)
    doc, _ = imported(resource)

    result = document.result_as_json(document.score_document(doc, levels(resource, *(0,) * 8, 1)))

    assert result["scales"]["total"]["value"] == 1
    [flag] = result["risk_flags"]
    assert flag["item"] == docs.question_keys(resource)[8] and flag["value"] == 1


@pytest.mark.parametrize("encoding", docs.ENCODINGS)
def test_a_gad7_all_nearly_every_day_scores_21_in_the_severe_band(encoding: str) -> None:
    resource = docs.questionnaire("gad7", encoding)
    doc, _ = imported(resource)

    total = document.score_document(doc, levels(resource, *(3,) * 7)).scale("total")

    assert (total.value, total.band.label, total.clinical) == (21, "Severe", True)


@pytest.mark.parametrize(
    ("change", "how"),
    [
        (lambda r: r.pop("url"), "LOINC panel code 44249-1"),
        (lambda r: (r.pop("code"), r.update(url="http://loinc.org/q/44249-1")), "canonical URL"),
        (lambda r: (r.pop("code"), r.pop("url")), "LOINC item codes"),
    ],
)
def test_the_measure_is_recognised_by_panel_code_url_or_item_codes(change, how: str) -> None:
    resource = docs.questionnaire("phq9", "loinc-ordinal-on-option")
    change(resource)

    doc, warnings = imported(resource)

    assert any(how in warning for warning in warnings)
    assert doc["risk_items"] and doc["scales"][0]["bands"]


def test_a_known_measure_without_weights_takes_the_librarys() -> None:
    resource = docs.questionnaire("phq9", "loinc-ordinal-on-option")
    for node in resource["item"]:
        for option in node.get("answerOption", []):
            option.pop("extension", None)

    doc, _ = imported(resource)

    assert document.score_document(doc, levels(resource, *(1,) * 9)).scale("total").value == 9


def test_a_known_measure_weighted_differently_keeps_its_own_weights_and_says_so() -> None:
    resource = docs.questionnaire("phq9", "loinc-ordinal-on-option")
    for node in resource["item"]:
        for option in node.get("answerOption", []):
            option["extension"][0]["valueDecimal"] += 1

    doc, warnings = imported(resource)

    assert doc["scales"][0]["bands"] == [] and doc["risk_items"] == []
    assert any("do not match the library's" in warning for warning in warnings)


def unknown() -> dict:
    """A scored questionnaire the library does not know: a GAD-7 without any of its codes or its URL."""
    resource = docs.questionnaire("gad7", "uuid-linkids-integer-options")
    resource.pop("code")
    resource["url"] = "http://example.org/fhir/Questionnaire/worry-check"
    for node in resource["item"]:
        node.pop("code", None)
    return resource


def test_an_unrecognised_scored_questionnaire_names_what_it_lacks() -> None:
    doc, warnings = imported(unknown())

    assert doc["scales"][0]["bands"] == [] and doc["risk_items"] == []
    assert any(warning.startswith("Scale 'total' needs bands") for warning in warnings)
    assert any(warning.startswith("No risk items are set") for warning in warnings)
    assert not any("Recognised" in warning for warning in warnings)
    assert services.publication_problems(doc)


@pytest.mark.django_db
def test_import_instrument_publishes_a_loinc_coded_phq9(tmp_path, capsys) -> None:
    path = tmp_path / "phq9.json"
    path.write_text(json.dumps(docs.questionnaire("phq9", "sdc-contained-valueset")), encoding="utf-8")

    call_command("import_instrument", str(path), "--publish")

    captured = capsys.readouterr()
    assert "published" in captured.out
    assert "Recognised as the PHQ-9" in captured.err


@pytest.mark.django_db
def test_import_instrument_refuses_to_publish_an_unknown_scored_questionnaire(tmp_path) -> None:
    path = tmp_path / "worry.json"
    path.write_text(json.dumps(unknown()), encoding="utf-8")

    with pytest.raises(CommandError, match="has no bands"):
        call_command("import_instrument", str(path), "--publish")
