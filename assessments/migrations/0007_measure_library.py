"""Install the measure library, published and owned by no practice: PHQ-9, GAD-7 and WSAS, version 1.0.

Installed the way 0002 installs *Interdependence in Relationships*: the document files are frozen (a new
version ships as a new file and a new migration), and a slug that already exists is left as it is.
"""

import json
from pathlib import Path

from django.db import migrations
from django.utils import timezone

DATA = Path(__file__).resolve().parent.parent / "data"
DOCUMENTS = {
    "phq-9": "phq-9-1.0.json",
    "gad-7": "gad-7-1.0.json",
    "wsas": "wsas-1.0.json",
}


def install(apps, schema_editor):
    from assessments import document
    from assessments.services import version_create_from_document

    Instrument = apps.get_model("assessments", "Instrument")
    for slug, name in DOCUMENTS.items():
        if Instrument.objects.filter(slug=slug).exists():
            continue
        doc = document.parse(json.loads((DATA / name).read_text(encoding="utf-8")))
        version = version_create_from_document(doc, apps=apps)
        # The frozen definition is the file itself, so what the rows cannot hold (a reliable-change threshold) is kept.
        version.definition = document.exported(doc)
        version.status = "published"
        version.published_at = timezone.now()
        version.save(update_fields=["definition", "status", "published_at"])


def uninstall(apps, schema_editor):
    Instrument = apps.get_model("assessments", "Instrument")
    Version = apps.get_model("assessments", "InstrumentVersion")
    for slug in DOCUMENTS:
        versions = Version.objects.filter(instrument__slug=slug, instrument__owner__isnull=True, number=1)
        if versions.filter(responses__isnull=False).exists():
            raise RuntimeError(f"The library's {slug} has responses; it cannot be removed.")
        versions.delete()
        Instrument.objects.filter(slug=slug, owner__isnull=True, versions__isnull=True).delete()


class Migration(migrations.Migration):
    # After 0006 (instrument owners) by way of the adopted reliabilities, which landed on 0006 first: one leaf.
    dependencies = [("assessments", "0006_instrument_owner"), ("assessments", "0007_adopted_reliability")]

    operations = [migrations.RunPython(install, uninstall)]
