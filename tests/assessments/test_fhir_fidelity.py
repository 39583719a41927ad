"""FHIR imports keep what a Questionnaire means: hidden items stay hidden, totals keep their labels, url and
version travel on, and what cannot be honoured is refused with its path rather than imported differently."""

from __future__ import annotations

import copy

import pytest
from django.urls import reverse

from assessments import document, exports, fhir, services
from assessments.document import DocumentError
from assessments.models import Instrument, InstrumentVersion, Response
from tests.assessments import fhir_documents as docs

CASES = [
    pytest.param(measure, encoding, id=f"{measure}-{encoding}")
    for measure in docs.MEASURES
    for encoding in docs.ENCODINGS
]
STAFF_ONLY = "STAFF ONLY"


def imported(resource: dict) -> tuple[dict, list[str]]:
    converted, warnings = fhir.questionnaire_to_document(resource)
    return document.parse(converted), warnings


def everything(resource: dict, level: int) -> dict[str, str]:
    return dict(zip(docs.question_keys(resource), docs.answer_codes(resource, level), strict=True))


@pytest.mark.parametrize(("measure", "encoding"), CASES)
def test_each_encoding_imports_every_question_and_totals_them(measure: str, encoding: str) -> None:
    resource = docs.questionnaire(measure, encoding)

    doc, _ = imported(resource)

    questions = [item["key"] for item in doc["items"] if item["type"] in document.QUESTION_TYPES]
    assert questions == docs.question_keys(resource)
    [total] = doc["scales"]
    assert total["items"] == questions
    for level in range(4):
        result = document.score_document(doc, everything(resource, level))
        assert result.scale("total").value == level * len(questions)


@pytest.mark.parametrize(("measure", "encoding"), CASES)
def test_the_hidden_scoring_key_never_becomes_an_item(measure: str, encoding: str) -> None:
    resource = docs.questionnaire(measure, encoding)

    doc, warnings = imported(resource)

    assert not any(STAFF_ONLY in item["text"] for item in doc["items"])
    assert f"{measure}-scoring-key" not in {item["key"] for item in doc["items"]}
    assert any(f"'{measure}-scoring-key'" in warning and "hidden" in warning for warning in warnings)


@pytest.mark.parametrize(("measure", "encoding"), CASES)
def test_the_calculated_total_keeps_its_label_whatever_its_type(measure: str, encoding: str) -> None:
    resource = docs.questionnaire(measure, encoding)

    doc, _ = imported(resource)

    assert doc["scales"][0]["label"] == docs.MEASURES[measure]["total"][1]
    again, _ = imported(fhir.document_to_questionnaire(doc))
    assert again["scales"][0]["label"] == docs.MEASURES[measure]["total"][1]


@pytest.mark.parametrize("kind", ["integer", "decimal", "quantity"])
def test_a_read_only_total_score_of_any_number_type_is_recognised(kind: str) -> None:
    resource = docs.questionnaire("gad7", "loinc-ordinal-on-option")
    total = resource["item"][-1]
    total["type"] = kind
    del total["extension"]

    doc, warnings = imported(resource)

    assert doc["scales"][0]["label"] == total["text"]
    assert not any(total["linkId"] in warning for warning in warnings)


def test_a_total_without_text_takes_its_label_from_its_code() -> None:
    resource = docs.questionnaire("phq9", "loinc-ordinal-on-option")
    del resource["item"][-1]["text"]

    doc, _ = imported(resource)

    assert doc["scales"][0]["label"] == docs.MEASURES["phq9"]["total"][1]


@pytest.mark.parametrize(("measure", "encoding"), CASES)
def test_url_and_version_are_kept_and_exported(measure: str, encoding: str) -> None:
    resource = docs.questionnaire(measure, encoding)

    doc, _ = imported(resource)

    assert (doc["url"], doc["version"]) == (resource["url"], "2.1.0")
    assert document.exported(doc)["url"] == resource["url"]
    exported = fhir.document_to_questionnaire(doc, base_url="https://tandem.example")
    assert (exported["url"], exported["version"]) == (resource["url"], "2.1.0")
    assert fhir.questionnaire_reference(doc, "https://tandem.example") == f"{resource['url']}|2.1.0"


def test_without_a_url_the_questionnaire_is_named_under_the_site() -> None:
    resource = docs.questionnaire("gad7", "sdc-contained-valueset")
    del resource["url"]

    doc, _ = imported(resource)

    assert doc["url"] == ""
    assert fhir.canonical_url(doc, "https://tandem.example/") == "https://tandem.example/fhir/Questionnaire/gad7"
    assert fhir.document_to_questionnaire(doc, base_url="https://tandem.example")["url"] == (
        "https://tandem.example/fhir/Questionnaire/gad7"
    )
    assert "url" not in fhir.document_to_questionnaire(doc)


def test_a_url_with_spaces_is_left_out_with_a_warning() -> None:
    resource = docs.questionnaire("gad7", "sdc-contained-valueset")
    resource["url"] = "not a url"

    doc, warnings = imported(resource)

    assert doc["url"] == ""
    assert any(warning.startswith("url:") for warning in warnings)


def test_a_document_url_must_not_contain_spaces() -> None:
    from tests.assessments.conftest import small_document

    with pytest.raises(DocumentError) as caught:
        document.parse({**small_document(), "url": "http://a b"})

    assert [problem.path for problem in caught.value.problems] == ["$.url"]


# Questionnaires that cannot be imported as they mean: refused with a path, nothing saved.


def refused(resource: object) -> list:
    before = (Instrument.objects.count(), InstrumentVersion.objects.count())
    with pytest.raises(DocumentError) as caught:
        services.instrument_import(resource)
    assert (Instrument.objects.count(), InstrumentVersion.objects.count()) == before
    return caught.value.problems


@pytest.mark.django_db
def test_answers_from_an_external_value_set_are_refused_not_imported_as_an_empty_draft() -> None:
    resource = docs.questionnaire("phq9", "sdc-contained-valueset")
    del resource["contained"]

    problems = refused(resource)

    assert {problem.path for problem in problems} == {f"$.item[{n}].answerValueSet" for n in range(1, 10)}
    assert all("'#LL358-3'" in problem.message and "not contained" in problem.message for problem in problems)


@pytest.mark.django_db
def test_a_questionnaire_with_nothing_to_answer_is_refused() -> None:
    resource = {
        "resourceType": "Questionnaire",
        "status": "active",
        "item": [
            {"linkId": "intro", "type": "display", "text": "Welcome"},
            {"linkId": "photo", "type": "attachment", "text": "A photo"},
            {
                "linkId": "key",
                "type": "display",
                "text": "Staff",
                "extension": [{"url": docs.HIDDEN, "valueBoolean": True}],
            },
        ],
    }

    problems = refused(resource)

    assert [problem.path for problem in problems] == ["$.item", "$.item[1]"]
    assert "no question" in problems[0].message


def test_the_document_parser_refuses_a_document_with_no_question() -> None:
    raw = {
        "format": document.FORMAT,
        "slug": "only-text",
        "title": "Only text",
        "items": [{"key": "intro", "type": "section", "text": "Hello"}, {"key": "x", "type": "display", "text": "x"}],
    }

    with pytest.raises(DocumentError) as caught:
        document.parse(raw)

    assert [problem.path for problem in caught.value.problems] == ["$.items"]
    assert "no question" in caught.value.problems[0].message


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("condition", "path"),
    [
        ({"question": "/nowhere", "operator": "exists", "answerBoolean": True}, ".question"),
        ({"question": "LATER", "operator": "exists", "answerBoolean": True}, ".question"),
        ({"question": "FIRST", "operator": "~", "answerCoding": {"code": "LA6569-3"}}, ".operator"),
    ],
)
def test_an_enable_when_that_cannot_be_honoured_is_refused_with_its_path(condition: dict, path: str) -> None:
    resource = docs.questionnaire("phq9", "loinc-ordinal-on-option")
    first, last = resource["item"][1]["linkId"], resource["item"][9]["linkId"]
    condition = {
        **condition,
        "question": {"LATER": last, "FIRST": first}.get(condition["question"], condition["question"]),
    }
    resource["item"][2]["enableWhen"] = [condition]

    problems = refused(resource)

    assert [problem.path for problem in problems] == [f"$.item[2].enableWhen[0]{path}"]


def test_an_enable_when_on_a_loinc_answer_is_honoured() -> None:
    resource = docs.questionnaire("phq9", "loinc-ordinal-on-option")
    first = resource["item"][1]["linkId"]
    resource["item"].insert(
        2,
        {
            "linkId": "more",
            "type": "string",
            "text": "Tell us more",
            "enableWhen": [
                {"question": first, "operator": "=", "answerCoding": {"system": docs.LOINC, "code": "LA6571-9"}}
            ],
        },
    )

    doc, _ = imported(resource)

    assert "more" not in document.enabled_keys(doc, {first: "LA6568-5"})
    assert "more" in document.enabled_keys(doc, {first: "LA6571-9"})


# The client's page and the exports.


def with_bands(resource: dict) -> dict:
    converted, _ = fhir.questionnaire_to_document(resource)
    high = len(converted["scales"][0]["items"]) * 3
    converted["scales"][0]["bands"] = [
        {"low": 0, "high": 9, "label": "Lower"},
        {"low": 10, "high": high, "label": "Higher"},
    ]
    return converted


@pytest.mark.parametrize("encoding", ["loinc-ordinal-on-option", "path-linkids-in-group"])
def test_a_hidden_item_never_appears_on_the_clients_page(client, open_assignment, encoding: str) -> None:
    resource = docs.questionnaire("phq9", encoding)
    resource["item"].insert(
        3,
        {
            "linkId": "hidden-q",
            "type": "string",
            "text": "HIDDEN QUESTION",
            "extension": copy.deepcopy(resource["item"][0]["extension"]),
        },
    )
    _assignment, token = open_assignment(with_bands(resource))

    pages = [client.get(reverse("assessments:start", args=[token]))]
    for number in range(1, 4):
        page = client.get(reverse("assessments:page", args=[token, number]))
        if page.status_code != 200:
            break
        pages.append(page)

    shown = b"".join(page.content for page in pages)
    assert docs.MEASURES["phq9"]["items"][0][1].encode() in shown  # the form itself is there
    assert STAFF_ONLY.encode() not in shown and b"HIDDEN QUESTION" not in shown


def test_the_url_and_version_are_stored_and_name_the_questionnaire_in_every_export(make_version, cara) -> None:
    resource = docs.questionnaire("gad7", "sdc-contained-valueset")
    version = make_version(with_bands(resource))
    doc = services.version_document(version)
    answers = everything(resource, 1)
    response = Response.objects.create(version=version, respondent=cara, answers=answers, scores={})

    bundle = exports.responses_fhir_bundle([response])

    expected = f"{resource['url']}|2.1.0"
    assert bundle["entry"][0]["resource"]["questionnaire"] == expected
    assert exports.questionnaire_url(response) == expected
    assert exports.questionnaire_resource(doc)["url"] == resource["url"]
    assert services.version_export(version)["url"] == resource["url"]
    assert services.version_document(services.version_new_draft(version))["url"] == resource["url"]
