from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError

from assessments.models import InstrumentVersion
from assessments.services import version_export


class Command(BaseCommand):
    help = "Print an instrument version as our JSON format or as a FHIR R4 Questionnaire."

    def add_arguments(self, parser) -> None:
        parser.add_argument("slug")
        parser.add_argument("--format", choices=["json", "fhir"], default="json")
        parser.add_argument("--number", dest="number", type=int, help="Version number (default: the published one).")

    def handle(self, *args, slug: str, format: str, number: int | None, **options) -> None:
        versions = InstrumentVersion.objects.filter(instrument__slug=slug)
        version = versions.filter(number=number).first() if number else versions.published().first()
        if version is None:
            which = f"version {number}" if number else "a published version"
            raise CommandError(f"There is no instrument {slug!r} with {which}.")
        data = version_export(version)
        if format == "fhir":
            from assessments.fhir import document_to_questionnaire

            data = document_to_questionnaire(data)
        self.stdout.write(json.dumps(data, indent=2, ensure_ascii=False))
