"""Install *Interdependence in Relationships* version 1.0, published.

The document file is frozen: a new version ships as a new file and a new migration.
"""

import json
from pathlib import Path

from django.db import migrations
from django.utils import timezone

DOCUMENT = Path(__file__).resolve().parent.parent / "data" / "interdependence-in-relationships-1.0.json"


def install(apps, schema_editor):
    from assessments import document
    from assessments.services import version_create_from_document

    Instrument = apps.get_model("assessments", "Instrument")
    if Instrument.objects.filter(slug="interdependence-in-relationships").exists():
        return
    doc = document.parse(json.loads(DOCUMENT.read_text(encoding="utf-8")))
    version = version_create_from_document(doc, apps=apps)
    version.definition = document.exported(doc)
    version.status = "published"
    version.published_at = timezone.now()
    version.save(update_fields=["definition", "status", "published_at"])


def uninstall(apps, schema_editor):
    Instrument = apps.get_model("assessments", "Instrument")
    Version = apps.get_model("assessments", "InstrumentVersion")
    versions = Version.objects.filter(instrument__slug="interdependence-in-relationships", number=1)
    if versions.filter(responses__isnull=False).exists():
        raise RuntimeError("Interdependence in Relationships has responses; it cannot be removed.")
    versions.delete()
    Instrument.objects.filter(slug="interdependence-in-relationships", versions__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("assessments", "0001_initial")]

    operations = [migrations.RunPython(install, uninstall)]
