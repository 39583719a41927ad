from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from assessments.document import DocumentError
from assessments.services import MAX_IMPORT_BYTES, instrument_import


class Command(BaseCommand):
    help = "Import an instrument from our JSON format or a FHIR R4 Questionnaire (detected) as a new version."

    def add_arguments(self, parser) -> None:
        parser.add_argument("path", type=Path)
        parser.add_argument("--publish", action="store_true", help="Publish the new version straight away.")

    def handle(self, *args, path: Path, publish: bool, **options) -> None:
        try:
            if path.stat().st_size > MAX_IMPORT_BYTES:
                raise CommandError(f"{path} is larger than 2 MB.")
            raw = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"Cannot read {path}: {exc.strerror}") from exc
        try:
            version, warnings = instrument_import(raw, publish=publish)
        except DocumentError as exc:
            lines = "\n".join(f"  {problem}" for problem in exc.problems)
            raise CommandError(f"{path} was not imported; nothing was saved:\n{lines}") from exc
        for warning in warnings:
            self.stderr.write(self.style.WARNING(f"warning: {warning}"))
        self.stdout.write(f"{version.instrument.slug} {version.label} (version {version.number}, {version.status})")
