"""Publish *Interdependence in Relationships* version 1.1: the same statements and scoring, suited to couples.

A published version is frozen, so marking the questionnaire as suited to couples ships as a new version
from a new frozen file, the way 0002 and 0007 install theirs. It becomes the published version and 1.0
retires; answers to 1.0 keep pointing at 1.0. Only the library's own copy is moved on, and only while its
published version is still the 1.0 that 0002 installed: a library questionnaire changed since is left as
it is, and a database without it gets 1.1 alone.
"""

import json
from pathlib import Path

from django.db import migrations
from django.utils import timezone

SLUG = "interdependence-in-relationships"
DOCUMENT = Path(__file__).resolve().parent.parent / "data" / "interdependence-in-relationships-1.1.json"


def install(apps, schema_editor):
    from assessments import document
    from assessments.services import version_create_from_document

    Instrument = apps.get_model("assessments", "Instrument")
    Version = apps.get_model("assessments", "InstrumentVersion")
    instrument = Instrument.objects.filter(slug=SLUG).first()
    if instrument is not None:
        published = Version.objects.filter(instrument=instrument, status="published").first()
        shipped = published is not None and (published.number, published.label) == (1, "1.0")
        if instrument.owner_id is not None or not shipped or Version.objects.filter(instrument=instrument).count() > 1:
            return
    now = timezone.now()
    doc = document.parse(json.loads(DOCUMENT.read_text(encoding="utf-8")))
    if instrument is not None:
        Version.objects.filter(instrument=instrument, status="published").update(status="retired", retired_at=now)
    version = version_create_from_document(doc, apps=apps)
    version.definition = document.exported(doc)
    version.status = "published"
    version.published_at = now
    version.save(update_fields=["definition", "status", "published_at"])


def uninstall(apps, schema_editor):
    Version = apps.get_model("assessments", "InstrumentVersion")
    newer = Version.objects.filter(instrument__slug=SLUG, instrument__owner__isnull=True, label="1.1", number=2)
    if newer.filter(responses__isnull=False).exists() or newer.filter(assignments__isnull=False).exists():
        raise RuntimeError("Interdependence in Relationships 1.1 has been used; it cannot be removed.")
    if newer.exists():
        newer.delete()
        Version.objects.filter(instrument__slug=SLUG, instrument__owner__isnull=True, number=1).update(
            status="published", retired_at=None
        )


class Migration(migrations.Migration):
    dependencies = [("assessments", "0010_couples_format")]

    operations = [migrations.RunPython(install, uninstall)]
