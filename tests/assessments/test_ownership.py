"""Instruments are in the library (everyone assigns, nobody but a superuser changes) or one practice's own.

Harbour Light (Tess, owner; Uma, therapist) and Elsewhere Wellbeing (Olive, owner; Otto, therapist)
share one installation. Another practice's instrument is a 404 on every page; a library one is a 403
to change.
"""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.urls import reverse

from assessments.models import Assignment, Instrument, InstrumentStatus, InstrumentVersion, Item, Scale
from practice.models import Role
from tests.api.conftest import api_client
from tests.assessments.conftest import small_document
from tests.conftest import CLIENT_INLINES


@pytest.fixture
def olive(make_staff, elsewhere):
    return make_staff("olive", elsewhere, Role.OWNER, first_name="Olive")


@pytest.fixture
def harbours(make_version, harbour):
    """Harbour Light's own instrument: a published version and a draft of it."""
    published = make_version({**small_document("harbour-check"), "title": "Harbour Light check"}, owner=harbour)
    draft = make_version(small_document("harbour-check"), publish=False)
    return published, draft


@pytest.fixture
def library(make_version):
    """A library instrument: a published version and a draft."""
    published = make_version(small_document("library-check"))
    draft = make_version(small_document("library-check"), publish=False)
    return published, draft


def signed_in(client, user):
    client.force_login(user)
    return client


def version_urls(version: InstrumentVersion) -> dict[str, tuple[str, str]]:
    """Every admin URL of a version, with the method it takes."""
    pk = version.pk
    item = Item.objects.filter(version=version).first()
    scale = Scale.objects.filter(version=version).first()
    return {
        "change": ("get", reverse("admin:assessments_instrumentversion_change", args=[pk])),
        "delete": ("post", reverse("admin:assessments_instrumentversion_delete", args=[pk])),
        "preview": ("get", reverse("admin:assessments_instrumentversion_preview", args=[pk])),
        "export": ("get", reverse("admin:assessments_instrumentversion_export", args=[pk])),
        "publish": ("post", reverse("admin:assessments_instrumentversion_publish", args=[pk])),
        "new-version": ("post", reverse("admin:assessments_instrumentversion_new_version", args=[pk])),
        "retire": ("post", reverse("admin:assessments_instrumentversion_retire", args=[pk])),
        "item": ("get", reverse("admin:assessments_item_change", args=[item.pk])),
        "scale": ("get", reverse("admin:assessments_scale_change", args=[scale.pk])),
        "instrument": ("get", reverse("admin:assessments_instrument_change", args=[version.instrument_id])),
        "instrument-delete": ("post", reverse("admin:assessments_instrument_delete", args=[version.instrument_id])),
        "copy": ("post", reverse("admin:assessments_instrument_copy", args=[version.instrument_id])),
    }


def state() -> tuple:
    return (
        list(InstrumentVersion.objects.order_by("pk").values_list("pk", "status", "title")),
        list(Instrument.objects.order_by("pk").values_list("pk", "owner_id", "title")),
    )


@pytest.mark.parametrize("which", ["published", "draft"])
@pytest.mark.parametrize(
    "page",
    [
        *("change", "delete", "preview", "export", "publish", "new-version", "retire"),
        *("item", "scale", "instrument", "instrument-delete", "copy"),
    ],
)
def test_the_owner_of_another_practice_gets_404_for_every_admin_url_of_our_instrument(
    client, olive, harbours, which, page
):
    version = harbours[0] if which == "published" else harbours[1]
    method, url = version_urls(version)[page]
    before = state()
    response = getattr(signed_in(client, olive), method)(url)
    assert response.status_code == 404
    assert "Harbour Light check" not in response.content.decode()
    assert state() == before


def test_the_instrument_lists_and_their_filters_show_the_library_and_our_own_only(
    client, olive, tess, harbours, library
):
    for user, sees_harbours in ((olive, False), (tess, True)):
        browser = signed_in(client, user)
        instruments = browser.get(reverse("admin:assessments_instrument_changelist")).content.decode()
        versions = browser.get(reverse("admin:assessments_instrumentversion_changelist")).content.decode()
        assert "library-check" in instruments
        assert ("harbour-check" in instruments) is sees_harbours
        assert ("Harbour Light check" in versions) is sees_harbours  # the rows and the instrument filter


def test_importing_into_another_practices_instrument_is_a_404_and_saves_nothing(client, olive, harbours):
    upload = SimpleUploadedFile("harbour.json", json.dumps(small_document("harbour-check")).encode())
    before = state()
    response = signed_in(client, olive).post(reverse("admin:assessments_instrument_import"), {"file": upload})
    assert response.status_code == 404
    assert state() == before


@pytest.mark.parametrize("page", ["publish", "new-version", "delete", "instrument-delete"])
def test_a_practice_owner_may_not_change_a_library_draft(client, tess, library, page):
    method, url = version_urls(library[1])[page]
    before = state()
    response = getattr(signed_in(client, tess), method)(url)
    assert response.status_code == 403
    assert state() == before


def test_a_practice_owner_may_not_retire_a_library_version(client, tess, library):
    _method, url = version_urls(library[0])["retire"]
    response = signed_in(client, tess).post(url)
    assert response.status_code == 403
    assert InstrumentVersion.objects.get(pk=library[0].pk).status == InstrumentStatus.PUBLISHED


def test_a_practice_owner_may_not_edit_a_library_draft(client, tess, library):
    draft = library[1]
    data = {"label": "1", "title": "Changed by a practice", "description": "", "instructions": "", "copyright": ""}
    for prefix in ("answer_scales", "items", "scales"):
        data |= {f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0"}
    url = reverse("admin:assessments_instrumentversion_change", args=[draft.pk])
    response = signed_in(client, tess).post(url, data)
    assert response.status_code == 403
    assert InstrumentVersion.objects.get(pk=draft.pk).title == "Mood check"


def test_importing_a_new_version_of_a_library_instrument_is_refused_with_a_reason(client, tess, library):
    upload = SimpleUploadedFile("lib.json", json.dumps(small_document("library-check")).encode())
    before = state()
    response = signed_in(client, tess).post(reverse("admin:assessments_instrument_import"), {"file": upload})
    assert response.status_code == 403
    assert "make a copy for your practice" in response.content.decode()
    assert state() == before


def test_a_practice_owners_import_belongs_to_the_practice(client, tess, harbour, db):
    upload = SimpleUploadedFile("new.json", json.dumps(small_document("brand-new")).encode())
    signed_in(client, tess).post(reverse("admin:assessments_instrument_import"), {"file": upload})
    assert Instrument.objects.get(slug="brand-new").owner == harbour


def test_the_copy_action_makes_a_draft_owned_by_the_practice(client, tess, harbour, library):
    url = reverse("admin:assessments_instrument_changelist")
    data = {"action": "make_copy", "_selected_action": [library[0].instrument_id]}
    response = signed_in(client, tess).post(url, data)
    copy = Instrument.objects.get(slug="library-check-copy")
    draft = copy.versions.get()
    assert response.status_code == 302
    assert (copy.owner, draft.status, draft.based_on_id) == (harbour, InstrumentStatus.DRAFT, library[0].pk)
    assert [item.key for item in draft.items.all()] == [item.key for item in library[0].items.all()]
    assert Instrument.objects.get(pk=library[0].instrument_id).owner is None


def test_the_copy_button_makes_a_copy_the_owner_can_then_publish(client, tess, harbour, library):
    browser = signed_in(client, tess)
    page = browser.get(reverse("admin:assessments_instrument_change", args=[library[0].instrument_id]))
    assert "Make a copy for my practice" in page.content.decode()
    browser.post(reverse("admin:assessments_instrument_copy", args=[library[0].instrument_id]))
    draft = InstrumentVersion.objects.get(instrument__slug="library-check-copy")
    browser.post(reverse("admin:assessments_instrumentversion_publish", args=[draft.pk]))
    assert InstrumentVersion.objects.get(pk=draft.pk).status == InstrumentStatus.PUBLISHED


def test_a_therapist_cannot_copy(client, uma, library):
    response = signed_in(client, uma).post(
        reverse("admin:assessments_instrument_copy", args=[library[0].instrument_id])
    )
    assert response.status_code == 403
    assert not Instrument.objects.filter(slug="library-check-copy").exists()


def test_the_assign_form_refuses_another_practices_instrument(client, otto, olga, consenting, harbours, library):
    consenting(olga)
    data = {"ids": str(olga.pk), "instrument": harbours[0].instrument_id, "expires_in_days": "14", **CLIENT_INLINES}
    response = signed_in(client, otto).post(reverse("admin:clients_client_assign"), data)
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert "Harbour Light check" not in response.content.decode()
    assert not Assignment.objects.filter(respondent=olga).exists()


def test_the_assign_form_offers_the_library_and_our_own(client, uma, fiona, consenting, harbours, library):
    consenting(fiona)
    page = signed_in(client, uma).get(reverse("admin:clients_client_assign") + f"?ids={fiona.pk}")
    assert "Harbour Light check" in page.content.decode()
    data = {"ids": str(fiona.pk), "instrument": harbours[0].instrument_id, "expires_in_days": "14"}
    client.post(reverse("admin:clients_client_assign"), data)
    assert Assignment.objects.get(respondent=fiona).version == harbours[0]


def test_the_api_refuses_to_assign_another_practices_instrument(otto, olga, consenting, harbours):
    consenting(olga)
    response = api_client(otto).post(
        "/api/v1/assignments/", {"respondent": olga.pk, "instrument": "harbour-check"}, format="json"
    )
    assert response.status_code == 400
    assert "instrument" in response.json()
    assert not Assignment.objects.filter(respondent=olga).exists()


def test_the_api_refuses_a_new_version_of_a_library_instrument(tess, library):
    before = state()
    response = api_client(tess).post(
        "/api/v1/instruments/", {"document": small_document("library-check"), "publish": True}, format="json"
    )
    assert response.status_code == 403
    assert state() == before


def test_the_api_copies_a_library_instrument_for_the_practice(tess, harbour, library):
    response = api_client(tess).post("/api/v1/instruments/library-check/copy/")
    assert response.status_code == 201
    assert response.json()["instrument"]["library"] is False
    assert Instrument.objects.get(slug=response.json()["instrument"]["slug"]).owner == harbour


@override_settings(ASSESSMENTS_HOOKS="assessments.hooks.DefaultHooks")
def test_without_a_host_everything_is_library_and_only_superusers_change_it(tess, harbours, django_user_model):
    root = django_user_model.objects.create_superuser("root", "root@example.org", "x")
    assert set(Instrument.objects.for_user(tess)) == set(Instrument.objects.library())
    assert not Instrument.objects.writable_by(tess).exists()
    assert set(Instrument.objects.writable_by(root)) == set(Instrument.objects.all())
