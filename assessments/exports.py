"""Responses out of Tandem: CSV for spreadsheets, FHIR QuestionnaireResponse for other systems.

CSV cells that a spreadsheet would run as a formula (starting with ``=``, ``+``, ``-``, ``@``, a tab or a
carriage return) are prefixed with an apostrophe, so an answer can never become a formula.
"""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Iterable
from typing import Any

from django.utils import timezone

from assessments import app_settings, fhir
from assessments.models import Response
from assessments.results import answer_label
from assessments.services import published_form

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: object) -> str:
    """A CSV cell that no spreadsheet will evaluate."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def responses_csv(responses: Iterable[Response]) -> str:
    """One row per response: who, what, when, then every question's answer and every scale's score as columns."""
    responses = list(responses)
    item_columns: dict[str, str] = {}
    scale_columns: dict[str, str] = {}
    for response in responses:
        form = published_form(response.version)
        for item in form.document["items"]:
            if item["type"] not in ("section", "display"):
                item_columns.setdefault(f"{form.document['slug']}:{item['key']}", item["key"])
        for scale in form.document["scales"]:
            scale_columns.setdefault(f"{form.document['slug']}:{scale['key']}", scale["key"])
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    header = ["response", "respondent", "questionnaire", "version", "completed", "risk flagged"]
    writer.writerow(header + [f"answer {name}" for name in item_columns] + [f"score {name}" for name in scale_columns])
    for response in responses:
        form = published_form(response.version)
        slug = form.document["slug"]
        row = [
            response.pk,
            str(response.respondent),
            response.version.title,
            response.version.label,
            timezone.localtime(response.completed_at).isoformat() if response.completed_at else "",
            "yes" if response.flagged else "no",
        ]
        for column, key in item_columns.items():
            item = form.items.get(key) if column.startswith(slug + ":") else None
            row.append(answer_label(item, response.answers.get(key)) if item else "")
        for column, key in scale_columns.items():
            score = response.scores.get("scales", {}).get(key, {}) if column.startswith(slug + ":") else {}
            row.append("" if score.get("value") is None else score["value"])
        writer.writerow([neutralise(cell) for cell in row])
    return out.getvalue()


def questionnaire_url(response: Response) -> str:
    """The questionnaire a response answered as ``url|version``: the URL it was imported with, else Tandem's own.

    The API and the admin's export both name a response's questionnaire through this one function.
    """
    return fhir.questionnaire_reference(published_form(response.version).document, app_settings.site_url())


def questionnaire_resource(doc: dict[str, Any]) -> dict[str, Any]:
    """A parsed document as a FHIR Questionnaire whose ``url`` is the one responses name it by."""
    return fhir.document_to_questionnaire(doc, base_url=app_settings.site_url())


def responses_fhir_bundle(responses: Iterable[Response]) -> dict[str, Any]:
    """A FHIR R4 Bundle (collection) of QuestionnaireResponses; the subject is the respondent's local id."""
    entries = []
    for response in responses:
        document = published_form(response.version).document
        resource = fhir.response_to_questionnaire_response(
            document,
            response.answers,
            questionnaire_url=questionnaire_url(response),
            authored=timezone.localtime(response.completed_at or response.created_at).isoformat(),
            subject_reference=f"Patient/{response.respondent_id}",
        )
        resource["id"] = str(response.pk)
        name = f"{questionnaire_url(response)}#response-{response.pk}"
        full_url = f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, name)}"
        entries.append({"fullUrl": full_url, "resource": resource})
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "timestamp": timezone.now().isoformat(),
        "entry": entries,
    }
