"""The measure library: PHQ-9, GAD-7 and WSAS as published, installed by migrate, scored against their sources.

The expected figures are the sources' own (see each document's description): PHQ-9, Kroenke et al.
(2001); GAD-7, Spitzer et al. (2006); WSAS, Mundt et al. (2002); cut-offs and reliable change from
the NHS Talking Therapies manual. Every boundary is checked on both sides, so a band edge, cut-off or
threshold off by one fails.
"""

from __future__ import annotations

import copy
import dataclasses
import importlib
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.apps import apps as django_apps
from jsonschema import Draft202012Validator

import assessments
from assessments import document, results, scoring, services
from assessments.models import Instrument, InstrumentVersion, Scale

APP = Path(assessments.__file__).resolve().parent
FILES = {"phq-9": "phq-9-1.0.json", "gad-7": "gad-7-1.0.json", "wsas": "wsas-1.0.json"}
VALIDATOR = Draft202012Validator(json.loads((APP / "schema" / "instrument.schema.json").read_text(encoding="utf-8")))
PFIZER = (
    "Developed by Drs. Robert L. Spitzer, Janet B.W. Williams, Kurt Kroenke and colleagues, with an educational "
    "grant from Pfizer Inc. No permission required to reproduce, translate, display or distribute."
)
FREQUENCY = [(0, "Not at all"), (1, "Several days"), (2, "More than half the days"), (3, "Nearly every day")]


def raw(slug: str) -> dict:
    return json.loads((APP / "data" / FILES[slug]).read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def docs() -> dict[str, dict]:
    return {slug: document.parse(raw(slug)) for slug in FILES}


def questions(doc: dict) -> list[dict]:
    return [item for item in doc["items"] if item["key"] in doc["scales"][0]["items"]]


def answers_totalling(doc: dict, total: int, top: int) -> dict[str, int]:
    """Answers to the scored questions adding up to ``total``, filling each question up to ``top`` in turn."""
    answers = {}
    for item in questions(doc):
        answers[item["key"]] = min(top, total)
        total -= answers[item["key"]]
    assert total == 0
    return answers


def scored(doc: dict, answers: dict) -> dict:
    return document.result_as_json(document.score_document(doc, answers))


def total(doc: dict, answers: dict) -> dict:
    return scored(doc, answers)["scales"]["total"]


def spec(doc: dict) -> scoring.ScaleSpec:
    return document.spec_from_document(doc).scales[0]


# Installed by migrate


@pytest.mark.django_db
@pytest.mark.parametrize("slug", FILES)
def test_after_migrate_each_measure_is_published_in_the_library(slug: str, docs: dict) -> None:
    instrument = Instrument.objects.get(slug=slug)
    assert instrument.owner_id is None
    version = InstrumentVersion.objects.published().get(instrument=instrument)
    assert document.parse(version.definition) == docs[slug]


@pytest.mark.django_db
def test_installing_the_library_again_leaves_existing_slugs_as_they_are() -> None:
    migration = importlib.import_module("assessments.migrations.0007_measure_library")
    before = sorted(InstrumentVersion.objects.values_list("pk", "instrument__slug"))
    migration.install(django_apps, None)
    assert sorted(InstrumentVersion.objects.values_list("pk", "instrument__slug")) == before


@pytest.mark.django_db
def test_installing_the_library_into_a_database_without_it_publishes_all_three() -> None:
    migration = importlib.import_module("assessments.migrations.0007_measure_library")
    migration.uninstall(django_apps, None)
    assert not Instrument.objects.filter(slug__in=FILES).exists()
    migration.install(django_apps, None)
    published = InstrumentVersion.objects.published().filter(instrument__slug__in=FILES)
    assert sorted(published.values_list("instrument__slug", flat=True)) == sorted(FILES)


@pytest.mark.django_db
@pytest.mark.parametrize(("slug", "points"), [("phq-9", 6), ("gad-7", 4)])
def test_the_installed_rows_hold_the_reliable_change_threshold(slug: str, points: int) -> None:
    scale = Scale.objects.get(version__instrument__slug=slug, key="total")
    assert scale.reliable_change_threshold == points
    assert "NHS Talking Therapies" in scale.reliable_change_source


@pytest.mark.django_db
def test_a_new_draft_of_a_library_measure_keeps_its_reliable_change_threshold() -> None:
    published = InstrumentVersion.objects.published().get(instrument__slug="phq-9")
    draft = services.version_new_draft(published)
    assert (
        services.version_document(draft)["scales"][0]["reliable_change"] == raw("phq-9")["scales"][0]["reliable_change"]
    )


@pytest.mark.django_db
def test_an_imported_and_published_document_keeps_its_reliable_change_threshold() -> None:
    data = {**raw("gad-7"), "slug": "gad-7-imported"}
    version, _warnings = services.instrument_import(json.dumps(data), publish=True)
    assert services.version_document(version)["scales"][0]["reliable_change"]["threshold"] == 4


# The documents themselves


@pytest.mark.parametrize("slug", FILES)
def test_each_file_is_in_canonical_form_and_accepted_by_the_schema(slug: str, docs: dict) -> None:
    assert document.exported(docs[slug]) == raw(slug)
    assert list(VALIDATOR.iter_errors(raw(slug))) == []


@pytest.mark.parametrize("slug", FILES)
def test_each_measure_can_be_published(slug: str, docs: dict) -> None:
    assert document.band_problems(docs[slug]) == []


@pytest.mark.parametrize("slug", ["phq-9", "gad-7"])
def test_phq9_and_gad7_carry_pfizers_notice(slug: str, docs: dict) -> None:
    assert docs[slug]["copyright"] == PFIZER


def test_wsas_names_its_copyright_holder_and_where_it_was_published(docs: dict) -> None:
    assert "Isaac M. Marks" in docs["wsas"]["copyright"]
    assert "British Journal of Psychiatry 180" in docs["wsas"]["copyright"]


@pytest.mark.parametrize(
    ("slug", "citations"),
    [
        ("phq-9", ["Kroenke K, Spitzer RL, Williams JBW (2001)", "Journal of General Internal Medicine 16(9)",
                   "Psychiatric Annals", "NHS Talking Therapies"]),
        ("gad-7", ["Spitzer RL, Kroenke K, Williams JBW, Löwe B (2006)", "Archives of Internal Medicine 166(10)",
                   "NHS Talking Therapies", "sensitivity 89%"]),
        ("wsas", ["Mundt JC, Marks IM, Shear MK, Greist JH (2002)", "British Journal of Psychiatry 180(5)",
                  "retest correlation of 0.73"]),
    ],
)  # fmt: skip
def test_each_description_cites_its_sources(slug: str, citations: list[str], docs: dict) -> None:
    for citation in citations:
        assert citation in docs[slug]["description"]


@pytest.mark.parametrize(("slug", "points"), [("phq-9", 6), ("gad-7", 4)])
def test_the_reliable_change_threshold_names_its_source(slug: str, points: int, docs: dict) -> None:
    criterion = docs[slug]["scales"][0]["reliable_change"]
    assert criterion["threshold"] == points
    assert "NHS Talking Therapies" in criterion["source"]
    assert f"{points} or more points" in criterion["source"]


@pytest.mark.parametrize("slug", FILES)
def test_every_measure_is_a_sum_where_higher_is_worse_and_every_band_has_a_meaning(slug: str, docs: dict) -> None:
    (scale,) = docs[slug]["scales"]
    assert (scale["total"], scale["method"], scale["max_missing"], scale["higher_is_worse"]) == (True, "sum", 0, True)
    assert all(band["meaning"].strip() for band in scale["bands"])


# PHQ-9

PHQ9_WORDING = [
    "Little interest or pleasure in doing things",
    "Feeling down, depressed, or hopeless",
    "Trouble falling or staying asleep, or sleeping too much",
    "Feeling tired or having little energy",
    "Poor appetite or overeating",
    "Feeling bad about yourself — or that you are a failure or have let yourself or your family down",
    "Trouble concentrating on things, such as reading the newspaper or watching television",
    "Moving or speaking so slowly that other people could have noticed? Or the opposite — being so fidgety or "
    "restless that you have been moving around a lot more than usual",
    "Thoughts that you would be better off dead or of hurting yourself in some way",
]


def test_phq9_asks_the_published_questions_with_the_published_answers(docs: dict) -> None:
    doc = docs["phq-9"]
    assert doc["instructions"] == (
        "Over the last 2 weeks, how often have you been bothered by any of the following problems?"
    )
    assert [item["text"] for item in questions(doc)] == PHQ9_WORDING
    assert all(item["required"] for item in questions(doc))
    (scale,) = doc["answer_scales"]
    assert [(option["value"], option["label"]) for option in scale["options"]] == FREQUENCY


def test_phq9_asks_the_difficulty_question_without_scoring_it(docs: dict) -> None:
    doc = docs["phq-9"]
    difficulty = doc["items"][-1]
    assert difficulty["text"].startswith("If you checked off any problems, how difficult have these problems made")
    assert [option["label"] for option in difficulty["options"]] == [
        "Not difficult at all",
        "Somewhat difficult",
        "Very difficult",
        "Extremely difficult",
    ]
    assert difficulty["key"] not in doc["scales"][0]["items"]
    answers = {**answers_totalling(doc, 9, 1), difficulty["key"]: "extremely-difficult"}
    assert total(doc, answers)["value"] == 9


def test_phq9_all_several_days_scores_9_in_the_mild_band(docs: dict) -> None:
    doc = docs["phq-9"]
    result = total(doc, {item["key"]: "LA6569-3" for item in questions(doc)})  # "Several days"
    assert (result["value"], result["band"], result["clinical"]) == (9, "Mild", False)


def test_phq9_all_nearly_every_day_scores_27_in_the_severe_band(docs: dict) -> None:
    doc = docs["phq-9"]
    result = total(doc, {item["key"]: "LA6571-9" for item in questions(doc)})  # "Nearly every day"
    assert (result["value"], result["band"], result["clinical"]) == (27, "Severe", True)


def test_phq9_all_not_at_all_scores_0_in_the_minimal_band(docs: dict) -> None:
    doc = docs["phq-9"]
    result = total(doc, {item["key"]: "LA6568-5" for item in questions(doc)})  # "Not at all"
    assert (result["value"], result["band"]) == (0, "Minimal")


@pytest.mark.parametrize(
    ("score", "band"),
    [(4, "Minimal"), (5, "Mild"), (9, "Mild"), (10, "Moderate"), (14, "Moderate"), (15, "Moderately severe"),
     (19, "Moderately severe"), (20, "Severe")],
)  # fmt: skip
def test_phq9_band_edges_are_kroenkes(score: int, band: str, docs: dict) -> None:
    result = total(docs["phq-9"], answers_totalling(docs["phq-9"], score, 3))
    assert (result["value"], result["band"]) == (score, band)


@pytest.mark.parametrize(("score", "clinical"), [(9, False), (10, True)])
def test_phq9_cut_off_is_10(score: int, clinical: bool, docs: dict) -> None:
    assert total(docs["phq-9"], answers_totalling(docs["phq-9"], score, 3))["clinical"] is clinical


def test_phq9_question_9_alone_at_several_days_raises_a_risk_flag(docs: dict) -> None:
    doc = docs["phq-9"]
    answers = {**{item["key"]: 0 for item in questions(doc)}, "phq9-9": "LA6569-3"}
    result = scored(doc, answers)
    assert [(flag["item"], flag["value"]) for flag in result["risk_flags"]] == [("phq9-9", 1)]
    assert result["scales"]["total"]["band"] == "Minimal"


def test_phq9_question_9_at_not_at_all_raises_no_flag(docs: dict) -> None:
    doc = docs["phq-9"]
    answers = {**{item["key"]: 3 for item in questions(doc)}, "phq9-9": "LA6568-5"}
    result = scored(doc, answers)
    assert result["risk_flags"] == []
    assert result["unanswered_risk_items"] == []


@pytest.mark.parametrize(
    ("before", "after", "direction"),
    [(16, 10, "improved"), (16, 11, "no reliable change"), (10, 16, "deteriorated"), (10, 15, "no reliable change")],
)
def test_phq9_reliable_change_is_6_points_either_way(before: int, after: int, direction: str, docs: dict) -> None:
    assert scoring.reliable_change_for(spec(docs["phq-9"]), before, after).direction == direction


@pytest.mark.parametrize(("after", "outcome"), [(9, "recovered"), (10, "unchanged"), (4, "recovered")])
def test_phq9_recovery_needs_a_reliable_drop_below_the_cut_off(after: int, outcome: str, docs: dict) -> None:
    assert scoring.outcome_for(spec(docs["phq-9"]), 15, after) == outcome


# GAD-7

GAD7_WORDING = [
    "Feeling nervous, anxious or on edge",
    "Not being able to stop or control worrying",
    "Worrying too much about different things",
    "Trouble relaxing",
    "Being so restless that it is hard to sit still",
    "Becoming easily annoyed or irritable",
    "Feeling afraid as if something awful might happen",
]


def test_gad7_asks_the_published_questions_with_the_published_answers(docs: dict) -> None:
    doc = docs["gad-7"]
    assert doc["instructions"] == "Over the last 2 weeks, how often have you been bothered by the following problems?"
    assert [item["text"] for item in questions(doc)] == GAD7_WORDING
    (scale,) = doc["answer_scales"]
    assert [(option["value"], option["label"]) for option in scale["options"]] == FREQUENCY
    assert doc["items"][-1]["key"] not in doc["scales"][0]["items"]


def test_gad7_all_nearly_every_day_scores_21_in_the_severe_band(docs: dict) -> None:
    doc = docs["gad-7"]
    result = total(doc, {item["key"]: "LA6571-9" for item in questions(doc)})
    assert (result["value"], result["band"], result["clinical"]) == (21, "Severe", True)


@pytest.mark.parametrize(
    ("score", "band"),
    [(0, "Minimal"), (4, "Minimal"), (5, "Mild"), (9, "Mild"), (10, "Moderate"), (14, "Moderate"), (15, "Severe")],
)
def test_gad7_band_edges_are_spitzers(score: int, band: str, docs: dict) -> None:
    result = total(docs["gad-7"], answers_totalling(docs["gad-7"], score, 3))
    assert (result["value"], result["band"]) == (score, band)


@pytest.mark.parametrize(("score", "clinical"), [(7, False), (8, True)])
def test_gad7_cut_off_is_8_as_nhs_talking_therapies_uses_it(score: int, clinical: bool, docs: dict) -> None:
    assert total(docs["gad-7"], answers_totalling(docs["gad-7"], score, 3))["clinical"] is clinical


def test_gad7_names_spitzers_alternative_cut_off_of_10(docs: dict) -> None:
    assert "Spitzer et al. (2006) recommend 10 or more" in docs["gad-7"]["description"]


@pytest.mark.parametrize(
    ("before", "after", "direction"),
    [(12, 8, "improved"), (12, 9, "no reliable change"), (8, 12, "deteriorated"), (8, 11, "no reliable change")],
)
def test_gad7_reliable_change_is_4_points_either_way(before: int, after: int, direction: str, docs: dict) -> None:
    assert scoring.reliable_change_for(spec(docs["gad-7"]), before, after).direction == direction


@pytest.mark.parametrize("slug", ["gad-7", "wsas"])
def test_gad7_and_wsas_have_no_risk_item(slug: str, docs: dict) -> None:
    assert docs[slug]["risk_items"] == []


# WSAS

WSAS_WORDING = [
    "Because of my [problem] my ability to work is impaired. '0' means 'not at all impaired' and '8' means very "
    "severely impaired to the point I can't work.",
    "Because of my [problem] my home management (cleaning, tidying, shopping, cooking, looking after home or "
    "children, paying bills) is impaired.",
    "Because of my [problem] my social leisure activities (with other people e.g. parties, bars, clubs, outings, "
    "visits, dating, home entertaining) are impaired.",
    "Because of my [problem], my private leisure activities (done alone, such as reading, gardening, collecting, "
    "sewing, walking alone) are impaired.",
    "Because of my [problem], my ability to form and maintain close relationships with others, including those I "
    "live with, is impaired.",
]


def test_wsas_asks_the_published_questions_on_the_published_0_to_8_scale(docs: dict) -> None:
    doc = docs["wsas"]
    assert doc["instructions"].startswith("People's problems sometimes affect their ability to do certain")
    assert [item["text"] for item in questions(doc)] == WSAS_WORDING
    (scale,) = doc["answer_scales"]
    assert [option["value"] for option in scale["options"]] == list(range(9))
    anchors = [option["label"] for option in scale["options"][::2]]
    assert [label.split(" ", 2)[::2] for label in anchors] == [
        ["0", "Not at all"],
        ["2", "Slightly"],
        ["4", "Definitely"],
        ["6", "Markedly"],
        ["8", "Very severely"],
    ]


def test_wsas_all_very_severely_scores_40(docs: dict) -> None:
    result = total(docs["wsas"], answers_totalling(docs["wsas"], 40, 8))
    assert (result["value"], result["band"], result["clinical"]) == (40, "Moderately severe or worse", True)


@pytest.mark.parametrize(
    ("score", "band", "clinical"),
    [(0, "Subclinical", False), (9, "Subclinical", False), (10, "Significant impairment", True),
     (20, "Significant impairment", True), (21, "Moderately severe or worse", True)],
)  # fmt: skip
def test_wsas_bands_and_cut_off_are_mundts(score: int, band: str, clinical: bool, docs: dict) -> None:
    result = total(docs["wsas"], answers_totalling(docs["wsas"], score, 8))
    assert (result["value"], result["band"], result["clinical"]) == (score, band, clinical)


def test_wsas_sets_no_reliable_change_it_cannot_source(docs: dict) -> None:
    assert not spec(docs["wsas"]).has_reliable_change
    assert "Reliable change: none is set" in docs["wsas"]["description"]


def test_wsas_retired_box_is_not_scored_and_a_blank_work_question_leaves_the_total_unscored(docs: dict) -> None:
    doc = docs["wsas"]
    answers = {**answers_totalling(doc, 12, 3), "wsas-retired": ["retired-or-not-working"], "wsas-work": None}
    result = total(doc, answers)
    assert result["value"] is None
    assert result["missing"] == ["wsas-work"]


# The reliable_change field of the format

PROBE = {
    "format": "tandem-instrument/1",
    "slug": "probe",
    "title": "Probe",
    "items": [
        {"key": f"q{n}", "type": "integer", "text": "", "min": 0, "max": 3} for n in range(1, 4)
    ],
    "scales": [
        {"key": "total", "label": "Total", "items": ["q1", "q2", "q3"], "reliable_change": {"threshold": 3}}
    ],
}  # fmt: skip


def probe(**reliable_change) -> dict:
    data = copy.deepcopy(PROBE)
    data["scales"][0].update(reliable_change)
    return data


def test_a_scale_without_reliable_change_parses_to_null_and_exports_without_the_field() -> None:
    data = probe()
    del data["scales"][0]["reliable_change"]
    doc = document.parse(data)
    assert doc["scales"][0]["reliable_change"] is None
    assert "reliable_change" not in document.exported(doc)["scales"][0]


def test_a_reliable_change_threshold_is_kept_with_an_empty_source_by_default() -> None:
    doc = document.parse(probe())
    assert doc["scales"][0]["reliable_change"] == {"threshold": 3, "source": ""}
    assert document.parse(document.exported(doc)) == doc
    assert spec(doc).reliable_change_threshold == 3


BAD = {
    "a threshold of 0": ({"reliable_change": {"threshold": 0}}, "$.scales[0].reliable_change.threshold"),
    "a negative threshold": ({"reliable_change": {"threshold": -6}}, "$.scales[0].reliable_change.threshold"),
    "a threshold as text": ({"reliable_change": {"threshold": "6"}}, "$.scales[0].reliable_change.threshold"),
    "no threshold": ({"reliable_change": {"source": "a manual"}}, "$.scales[0].reliable_change.threshold"),
    "an unknown field": ({"reliable_change": {"threshold": 3, "points": 3}}, "$.scales[0].reliable_change.points"),
    "a bare number": ({"reliable_change": 6}, "$.scales[0].reliable_change"),
    "a source that is not text": (
        {"reliable_change": {"threshold": 3, "source": 2001}},
        "$.scales[0].reliable_change.source",
    ),
    "a threshold as well as SD and reliability": (
        {"reference_sd": 2.5, "reliability": 0.8},
        "$.scales[0].reliable_change",
    ),
}


@pytest.mark.parametrize(("change", "path"), BAD.values(), ids=BAD.keys())
def test_a_bad_reliable_change_is_refused_by_the_importer_and_the_schema_with_its_path(change: dict, path: str) -> None:
    bad = probe(**change)
    assert list(VALIDATOR.iter_errors(bad)), "the schema accepts it"
    with pytest.raises(document.DocumentError) as caught:
        document.parse(bad)
    assert path in [problem.path for problem in caught.value.problems], caught.value.problems


def test_a_threshold_beyond_the_whole_range_is_refused() -> None:
    with pytest.raises(document.DocumentError, match="more than the whole range") as caught:
        document.parse(probe(reliable_change={"threshold": 9.5}))
    assert caught.value.problems[0].path == "$.scales"
    assert document.parse(probe(reliable_change={"threshold": 9}))["scales"][0]["reliable_change"]["threshold"] == 9


def test_a_threshold_change_reports_an_rci_on_the_jacobson_truax_footing() -> None:
    change = scoring.reliable_change_by_threshold(16, 10, 6)
    assert change.reliable and change.threshold == 6
    assert change.rci == pytest.approx(-1.96)
    assert change.s_diff == pytest.approx(6 / 1.96)


def test_an_sd_and_reliability_laid_over_a_threshold_take_precedence() -> None:
    threshold_only = spec(document.parse(probe()))
    both = dataclasses.replace(threshold_only, reference_sd=2.5, reliability=0.8)
    assert scoring.reliable_change_for(threshold_only, 0, 3).reliable is True
    # SD 2.5 and r 0.8 need 1.96 * sqrt(2) * 2.5 * sqrt(0.2), about 3.1 points
    assert scoring.reliable_change_for(both, 0, 3).reliable is False


def test_the_score_page_change_uses_a_published_threshold(docs: dict) -> None:
    change = results.change_between(spec(docs["phq-9"]), 16, 10, datetime(2026, 1, 5, tzinfo=UTC))
    assert (change.direction, change.outcome) == ("improved", "improved")
    assert change.rci == pytest.approx(-1.96)
