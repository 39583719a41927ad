"""Authoring in the admin: frozen versions, new drafts, publishing, preview, import and export."""

from __future__ import annotations

import functools
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from assessments.models import Instrument, InstrumentStatus, InstrumentVersion, Item
from tests.assessments.conftest import small_document


@pytest.fixture
def owner(client, tess):
    client.force_login(tess)
    return client


@pytest.fixture
def make_version(make_version, harbour):
    """Tess authors her practice's own instruments here (library ones are read-only to her: test_ownership)."""
    return functools.partial(make_version, owner=harbour)


def version_form(version: InstrumentVersion, **changes) -> dict:
    data = {
        "label": version.label,
        "title": version.title,
        "description": version.description,
        "instructions": version.instructions,
        "copyright": version.copyright,
    }
    for prefix in ("answer_scales", "items", "scales"):
        data[f"{prefix}-TOTAL_FORMS"] = "0"
        data[f"{prefix}-INITIAL_FORMS"] = "0"
    data.update(changes)
    return data


def test_a_published_version_cannot_be_altered_in_place(owner, make_version):
    version = make_version()
    url = reverse("admin:assessments_instrumentversion_change", args=[version.pk])
    page = owner.get(url)
    assert page.status_code == 200
    assert "Edit as a new version" in page.content.decode()
    response = owner.post(url, version_form(version, title="Changed in place"))
    assert response.status_code == 403
    assert InstrumentVersion.objects.get(pk=version.pk).title == "Mood check"
    item = version.items.get(key="low")
    item_url = reverse("admin:assessments_item_change", args=[item.pk])
    assert owner.post(item_url, {"text": "Changed", "type": "single_choice", "key": "low"}).status_code == 403
    assert Item.objects.get(pk=item.pk).text == "Feeling low"


def test_edit_as_a_new_version_makes_a_draft_copy_to_change(owner, make_version):
    version = make_version()
    response = owner.post(reverse("admin:assessments_instrumentversion_new_version", args=[version.pk]))
    draft = InstrumentVersion.objects.get(instrument=version.instrument, number=2)
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:assessments_instrumentversion_change", args=[draft.pk])
    assert draft.status == InstrumentStatus.DRAFT and draft.based_on == version
    response = owner.post(
        reverse("admin:assessments_instrumentversion_change", args=[draft.pk]),
        version_form(draft, title="Mood check (revised)", label="2"),
    )
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.title == "Mood check (revised)"
    assert InstrumentVersion.objects.get(pk=version.pk).title == "Mood check"


def test_publish_from_the_admin_reports_band_problems(owner, make_version):
    doc = small_document()
    doc["scales"][0]["bands"].pop()
    draft = make_version(doc, publish=False)
    response = owner.post(reverse("admin:assessments_instrumentversion_publish", args=[draft.pk]), follow=True)
    body = response.content.decode()
    assert "Not published" in body and "$.scales[0].bands" in body
    draft.refresh_from_db()
    assert draft.status == InstrumentStatus.DRAFT


def test_publish_and_retire_from_the_admin(owner, make_version):
    draft = make_version(publish=False)
    owner.post(reverse("admin:assessments_instrumentversion_publish", args=[draft.pk]))
    draft.refresh_from_db()
    assert draft.status == InstrumentStatus.PUBLISHED
    owner.post(reverse("admin:assessments_instrumentversion_retire", args=[draft.pk]))
    draft.refresh_from_db()
    assert draft.status == InstrumentStatus.RETIRED


def test_publishing_needs_a_post(owner, make_version):
    draft = make_version(publish=False)
    response = owner.get(reverse("admin:assessments_instrumentversion_publish", args=[draft.pk]))
    assert response.status_code == 405
    draft.refresh_from_db()
    assert draft.status == InstrumentStatus.DRAFT


def test_a_therapist_may_read_but_not_author(client, uma, make_version):
    version = make_version(publish=False)
    client.force_login(uma)
    assert client.get(reverse("admin:assessments_instrumentversion_change", args=[version.pk])).status_code == 200
    assert client.post(reverse("admin:assessments_instrumentversion_publish", args=[version.pk])).status_code == 403
    assert client.get(reverse("admin:assessments_instrument_import")).status_code == 403
    version.refresh_from_db()
    assert version.status == InstrumentStatus.DRAFT


def test_the_preview_shows_pages_with_labelled_questions(owner, make_version):
    version = make_version()
    body = owner.get(reverse("admin:assessments_instrumentversion_preview", args=[version.pk])).content.decode()
    assert "Page 1 of 1: How have you been?" in body
    assert "<legend>Feeling low" in body
    assert 'name="item-low" value="3"' in body
    assert '<label for="q5">Anything else?' in body


def test_export_downloads_our_json_and_fhir(owner, make_version):
    version = make_version()
    url = reverse("admin:assessments_instrumentversion_export", args=[version.pk])
    ours = owner.get(url)
    assert ours["Content-Disposition"] == 'attachment; filename="mood-check-1.json"'
    assert json.loads(ours.content) == version.definition
    fhir = owner.get(url, {"format": "fhir"})
    assert json.loads(fhir.content)["resourceType"] == "Questionnaire"


def test_import_through_the_admin(owner, db):
    upload = SimpleUploadedFile("mood.json", json.dumps(small_document()).encode(), "application/json")
    response = owner.post(reverse("admin:assessments_instrument_import"), {"file": upload, "publish": "on"})
    version = InstrumentVersion.objects.get(instrument__slug="mood-check")
    assert response.status_code == 302
    assert version.status == InstrumentStatus.PUBLISHED


def test_a_bad_import_through_the_admin_lists_problems_and_saves_nothing(owner, db):
    doc = small_document()
    doc["items"][1]["type"] = "slider"
    upload = SimpleUploadedFile("mood.json", json.dumps(doc).encode(), "application/json")
    response = owner.post(reverse("admin:assessments_instrument_import"), {"file": upload})
    body = response.content.decode()
    assert response.status_code == 200
    assert "nothing was saved" in body and "$.items[1].type" in body
    assert not Instrument.objects.filter(slug="mood-check").exists()


def scale_form(scale, bands: list[dict]) -> dict:
    data = {
        "key": scale.key,
        "label": scale.label,
        "method": scale.method,
        "max_missing": scale.max_missing,
        "items": [item.pk for item in scale.items.all()],
        "higher_is_worse": "on",
        "bands-TOTAL_FORMS": str(len(bands)),
        "bands-INITIAL_FORMS": str(sum(1 for band in bands if "id" in band)),
    }
    for index, band in enumerate(bands):
        for field, value in band.items():
            data[f"bands-{index}-{field}"] = value
        data[f"bands-{index}-scale"] = scale.pk
    return data


def test_bands_are_edited_on_a_draft_scale_and_frozen_once_published(owner, make_version):
    draft = make_version(publish=False)
    scale = draft.scales.get()
    bands = [
        {"id": band.pk, "low": band.low, "high": band.high, "label": band.label, "severity": band.severity}
        for band in scale.bands.all()
    ]
    bands[0]["label"] = "Minimal"
    url = reverse("admin:assessments_scale_change", args=[scale.pk])
    response = owner.post(url, scale_form(scale, bands))
    assert response.status_code == 302, response.content.decode()[:2000]
    assert scale.bands.filter(label="Minimal").exists()

    published = make_version(small_document("other-check"))
    frozen = published.scales.get()
    response = owner.post(reverse("admin:assessments_scale_change", args=[frozen.pk]), scale_form(frozen, []))
    assert response.status_code == 403
    assert frozen.bands.count() == 3


def test_the_instrument_list_takes_a_constant_number_of_queries(owner, make_version, make_document):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            response = owner.get(reverse("admin:assessments_instrument_changelist"))
        assert response.status_code == 200
        return len(captured)

    make_version(make_document("first-check"))
    before = queries()
    for slug in ("second-check", "third-check", "fourth-check"):
        make_version(make_document(slug))
    assert queries() == before
