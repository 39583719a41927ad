"""A scored questionnaire the library does not know imports as a draft that names what it lacks; the owner adds
bands, the cut-off, the direction and a risk item in the admin's own forms, without writing JSON, and publishes it."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from assessments import document
from assessments.models import Instrument, InstrumentStatus, InstrumentVersion
from assessments.services import published_form
from tests.assessments.test_fhir_library import unknown

pytestmark = pytest.mark.django_db


class _FormFields(HTMLParser):
    """The values a browser would submit for one form of a page: inputs, ticked boxes, selected options, text."""

    def __init__(self, form_id: str) -> None:
        super().__init__()
        self.form_id, self.inside, self.select, self.textarea = form_id, False, None, None
        self.data: dict[str, list[str]] = {}

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.inside = attrs.get("id") == self.form_id
        if not self.inside or ("name" not in attrs and tag != "option"):
            return
        if tag == "input" and attrs.get("type") not in ("submit", "button", "file"):
            ticks = attrs.get("type") in ("checkbox", "radio")
            if not ticks or "checked" in attrs:
                self.data.setdefault(attrs["name"], []).append(attrs.get("value", "on" if ticks else ""))
        elif tag == "select":
            self.select = attrs["name"]
            self.data.setdefault(self.select, [])
        elif tag == "option" and self.select and "selected" in attrs:
            self.data[self.select].append(attrs.get("value", ""))
        elif tag == "textarea":
            self.textarea = attrs["name"]
            self.data[self.textarea] = [""]

    def handle_endtag(self, tag):
        if tag == "select":
            self.select = None
        elif tag == "textarea":
            self.textarea = None
        elif tag == "form":
            self.inside = False

    def handle_data(self, data):
        if self.textarea:
            self.data[self.textarea][0] += data.removeprefix("\n") if not self.data[self.textarea][0] else data


def form_of(page: str, form_id: str) -> dict[str, list[str]]:
    parser = _FormFields(form_id)
    parser.feed(page)
    return parser.data


@pytest.fixture
def owner(client, tess):
    client.force_login(tess)
    return client


def test_an_unknown_scored_import_is_completed_in_the_admin_and_published(owner):
    upload = SimpleUploadedFile("worry.json", json.dumps(unknown()).encode(), "application/fhir+json")
    response = owner.post(reverse("admin:assessments_instrument_import"), {"file": upload, "publish": "on"})
    assert response.status_code == 200  # refused to publish: nothing to band the total with
    assert "nothing was saved" in response.content.decode(), re.findall(
        r"errornote.*?</div>", response.content.decode(), re.S
    )
    assert "bands" in response.content.decode(), re.findall(r"errornote.*?</div>", response.content.decode(), re.S)
    assert not InstrumentVersion.objects.filter(instrument__title__icontains="worry").exists()

    upload = SimpleUploadedFile("worry.json", json.dumps(unknown()).encode(), "application/fhir+json")
    response = owner.post(reverse("admin:assessments_instrument_import"), {"file": upload}, follow=True)
    version = InstrumentVersion.objects.get(instrument__owner__isnull=False, status=InstrumentStatus.DRAFT)
    page = response.content.decode()
    scale = version.scales.get()
    scale_url = reverse("admin:assessments_scale_change", args=[scale.pk])
    assert 'id="still-needs"' in page and f'href="{scale_url}"' in page and "No risk items are set" in page

    # Bands, the cut-off and the direction on the scale's page.
    fields = form_of(owner.get(scale_url).content.decode(), "scale_form")
    bands = [(0, 4, "Minimal", 0), (5, 9, "Mild", 1), (10, 14, "Moderate", 2), (15, 21, "Severe", 3)]
    fields["bands-TOTAL_FORMS"] = [str(len(bands))]
    for index, (low, high, label, severity) in enumerate(bands):
        fields.update(
            {
                f"bands-{index}-low": [str(low)],
                f"bands-{index}-high": [str(high)],
                f"bands-{index}-label": [label],
                f"bands-{index}-severity": [str(severity)],
                f"bands-{index}-scale": [str(scale.pk)],
            }
        )
    fields.update({"clinical_cutoff": ["10"], "higher_is_worse": ["on"]})
    response = owner.post(scale_url, fields)
    assert response.status_code == 302, re.findall(
        r"errorlist.*?</ul>|errornote.*?</p>", response.content.decode(), re.S
    )

    # A risk threshold on the last question, on the question's own page.
    item = version.items.filter(type="single_choice").order_by("-order").first()
    item_url = reverse("admin:assessments_item_change", args=[item.pk])
    fields = form_of(owner.get(item_url).content.decode(), "item_form")
    fields.update({"risk_threshold": ["2"], "risk_label": ["Worry most days"]})
    response = owner.post(item_url, fields)
    assert response.status_code == 302, re.findall(
        r"errorlist.*?</ul>|errornote.*?</p>", response.content.decode(), re.S
    )

    change_url = reverse("admin:assessments_instrumentversion_change", args=[version.pk])
    assert 'id="still-needs"' not in owner.get(change_url).content.decode()
    response = owner.post(reverse("admin:assessments_instrumentversion_publish", args=[version.pk]), follow=True)
    version.refresh_from_db()
    assert version.status == InstrumentStatus.PUBLISHED, response.content.decode()[:3000]

    form = published_form(version)
    highest = {key: item["options"][-1]["code"] for key, item in form.items.items() if item.get("options")}
    scored = document.score_document(form.document, highest)
    assert scored.scale("total").value == 21 and scored.scale("total").band.label == "Severe"
    assert scored.scale("total").clinical
    assert [flag.item_key for flag in scored.risk_flags] == [item.key]


def test_a_library_version_offers_no_publish_retire_or_new_version_to_a_practice(owner):
    library = Instrument.objects.get(slug="phq-9").published_version
    page = owner.get(reverse("admin:assessments_instrumentversion_change", args=[library.pk])).content.decode()
    assert 'form="version-retire"' not in page and 'form="version-new"' not in page
    assert "make your practice's own copy" in page


def test_an_own_draft_offers_publish_and_an_own_published_version_retire(owner, make_version, harbour):
    draft = make_version(owner=harbour, publish=False)
    page = owner.get(reverse("admin:assessments_instrumentversion_change", args=[draft.pk])).content.decode()
    assert 'form="version-publish"' in page and 'form="version-new"' in page
    published = make_version(owner=harbour)
    page = owner.get(reverse("admin:assessments_instrumentversion_change", args=[published.pk])).content.decode()
    assert 'form="version-retire"' in page and 'form="version-publish"' not in page
