"""Responses out of Tandem: CSV for spreadsheets, FHIR QuestionnaireResponse for other systems.

Exports stream: rows come from the database in chunks with only the columns they need, and each version's
definition (kilobytes of JSON) is read and parsed once per version, not once per row.

CSV cells that a spreadsheet would run as a formula (starting with ``=``, ``+``, ``-``, ``@``, a tab or a
carriage return) are prefixed with an apostrophe, so an answer can never become a formula.
"""

from __future__ import annotations

import csv
import io
import json
import textwrap
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from assessments import app_settings, fhir
from assessments.models import InstrumentVersion, Response
from assessments.results import answer_label
from assessments.services import PublishedForm, frozen_form, published_form

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: object) -> str:
    """A CSV cell that no spreadsheet will evaluate."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


#: Rows fetched per round trip while streaming: memory stays flat whatever the number of responses.
CHUNK_SIZE = 1000
#: The columns of a response an export reads; never the version's definition, which comes once per version.
RESPONSE_COLUMNS = ("id", "version_id", "respondent_id", "answers", "scores", "flagged", "completed_at", "created_at")


@dataclass(frozen=True)
class VersionFacts:
    title: str
    label: str
    form: PublishedForm
    url: str


class Versions:
    """The versions an export meets, each loaded and parsed once (a published one once per process)."""

    def __init__(self) -> None:
        self._facts: dict[int, VersionFacts] = {}

    def __getitem__(self, version_id: int) -> VersionFacts:
        if version_id not in self._facts:
            version = InstrumentVersion.objects.defer("definition").get(pk=version_id)
            if version.published_at is not None:
                form = frozen_form(version.pk, version.published_at)
            else:  # a draft answered in a preview: parsed from its rows
                form = PublishedForm.of(InstrumentVersion.objects.get(pk=version_id))
            url = fhir.questionnaire_reference(form.document, app_settings.site_url())
            self._facts[version_id] = VersionFacts(version.title, version.label, form, url)
        return self._facts[version_id]


def _rows(responses: Iterable[Response]) -> Iterator[Response]:
    """Responses one by one: a queryset streamed from the database with only the columns an export reads."""
    if isinstance(responses, QuerySet):
        rows = responses.select_related(None).select_related("respondent").only(*RESPONSE_COLUMNS, "respondent")
        yield from rows.iterator(CHUNK_SIZE)
    else:
        yield from responses


def _version_ids(responses: Iterable[Response]) -> list[int]:
    if isinstance(responses, QuerySet):
        return sorted(responses.order_by().values_list("version_id", flat=True).distinct())
    return list(dict.fromkeys(response.version_id for response in responses))


def _csv_line(cells: list[object]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerow([neutralise(cell) for cell in cells])
    return out.getvalue()


def stream_responses_csv(responses: Iterable[Response]) -> Iterator[str]:
    """The CSV line by line: who, what, when, then every question's answer and every scale's score as columns.

    The columns come from the versions the responses answered (one query), so rows can follow as they arrive.
    """
    versions = Versions()
    item_columns: dict[str, str] = {}
    scale_columns: dict[str, str] = {}
    for version_id in _version_ids(responses):
        document = versions[version_id].form.document
        for item in document["items"]:
            if item["type"] not in ("section", "display"):
                item_columns.setdefault(f"{document['slug']}:{item['key']}", item["key"])
        for scale in document["scales"]:
            scale_columns.setdefault(f"{document['slug']}:{scale['key']}", scale["key"])
    header = ["response", "respondent", "questionnaire", "version", "completed", "risk flagged"]
    yield _csv_line(header + [f"answer {name}" for name in item_columns] + [f"score {name}" for name in scale_columns])
    for response in _rows(responses):
        facts = versions[response.version_id]
        form, prefix = facts.form, facts.form.document["slug"] + ":"
        row: list[object] = [
            response.pk,
            str(response.respondent),
            facts.title,
            facts.label,
            timezone.localtime(response.completed_at).isoformat() if response.completed_at else "",
            "yes" if response.flagged else "no",
        ]
        for column, key in item_columns.items():
            item = form.items.get(key) if column.startswith(prefix) else None
            row.append(answer_label(item, response.answers.get(key)) if item else "")
        for column, key in scale_columns.items():
            score = response.scores.get("scales", {}).get(key, {}) if column.startswith(prefix) else {}
            row.append("" if score.get("value") is None else score["value"])
        yield _csv_line(row)


def responses_csv(responses: Iterable[Response]) -> str:
    """The whole CSV as one text (small exports and tests); downloads stream ``stream_responses_csv``."""
    return "".join(stream_responses_csv(responses))


def questionnaire_url(response: Response) -> str:
    """The questionnaire a response answered as ``url|version``: the URL it was imported with, else Tandem's own.

    The API and the admin's export both name a response's questionnaire this way (``Versions`` for many).
    """
    return fhir.questionnaire_reference(published_form(response.version).document, app_settings.site_url())


def questionnaire_resource(doc: dict[str, Any]) -> dict[str, Any]:
    """A parsed document as a FHIR Questionnaire whose ``url`` is the one responses name it by."""
    return fhir.document_to_questionnaire(doc, base_url=app_settings.site_url())


def _bundle_entry(response: Response, facts: VersionFacts) -> dict[str, Any]:
    resource = fhir.response_to_questionnaire_response(
        facts.form.document,
        response.answers,
        questionnaire_url=facts.url,
        authored=timezone.localtime(response.completed_at or response.created_at).isoformat(),
        subject_reference=f"Patient/{response.respondent_id}",
    )
    resource["id"] = str(response.pk)
    full_url = f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, f'{facts.url}#response-{response.pk}')}"
    return {"fullUrl": full_url, "resource": resource}


def _bundle_head() -> dict[str, Any]:
    return {"resourceType": "Bundle", "type": "collection", "timestamp": timezone.now().isoformat()}


def responses_fhir_bundle(responses: Iterable[Response]) -> dict[str, Any]:
    """A FHIR R4 Bundle (collection) of QuestionnaireResponses; the subject is the respondent's local id."""
    versions = Versions()
    return {**_bundle_head(), "entry": [_bundle_entry(row, versions[row.version_id]) for row in _rows(responses)]}


def stream_responses_fhir(responses: Iterable[Response]) -> Iterator[str]:
    """The same Bundle as JSON text, entry by entry, for a download whose memory does not grow with its size."""
    versions = Versions()
    head = json.dumps(_bundle_head(), indent=2, ensure_ascii=False)
    yield head[:-2] + ',\n  "entry": ['
    separator = "\n"
    for response in _rows(responses):
        entry = json.dumps(_bundle_entry(response, versions[response.version_id]), indent=2, ensure_ascii=False)
        yield separator + textwrap.indent(entry, "    ")
        separator = ",\n"
    yield "\n  ]\n}\n"
