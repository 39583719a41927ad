from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from assessments.models import InstrumentVersion
from assessments.scoring import ScoringError
from assessments.services import version_score


class Command(BaseCommand):
    help = "Score a paper form: answers keyed by item key (option codes or values) in a JSON file; prints JSON."

    def add_arguments(self, parser) -> None:
        parser.add_argument("slug")
        parser.add_argument("answers", type=Path)
        parser.add_argument("--number", dest="number", type=int, help="Version number (default: the published one).")

    def handle(self, *args, slug: str, answers: Path, number: int | None, **options) -> None:
        versions = InstrumentVersion.objects.filter(instrument__slug=slug)
        version = versions.filter(number=number).first() if number else versions.published().first()
        if version is None:
            raise CommandError(f"There is no instrument {slug!r} with a published version.")
        try:
            data = json.loads(answers.read_bytes())
        except OSError as exc:
            raise CommandError(f"Cannot read {answers}: {exc.strerror}") from exc
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise CommandError(f"{answers} is not valid JSON: {exc}") from exc
        if not isinstance(data, dict):
            raise CommandError(f"{answers} must hold an object of answers keyed by item key.")
        try:
            result = version_score(version, data)
        except ScoringError as exc:
            raise CommandError(f"{exc.item_key}: {exc}") from exc
        self.stdout.write(json.dumps(result, indent=2, ensure_ascii=False))
