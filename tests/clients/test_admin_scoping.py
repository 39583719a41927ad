"""Who sees which client in the admin: the scoping matrix.

Viewers: Tess (owner of Harbour Light), Uma (therapist at Harbour Light), Otto (therapist
at another practice) and an anonymous visitor. Clients: Cara (Tess's), Fiona (Uma's),
Olga (Otto's). Every page either shows a client the viewer may see, or answers 404 (302
to the login page for anonymous visitors) without the client's details in the body.
"""

from __future__ import annotations

import json

import pytest
from django.urls import reverse
from django.utils import timezone

from clients.models import Client, ConsentRecord
from clients.services import consent_set
from tests.conftest import CLIENT_INLINES

VISIBLE = {
    "tess": {"cara", "fiona"},
    "uma": {"fiona"},
    "otto": {"olga"},
    "anonymous": set(),
}
CLIENTS = ("cara", "fiona", "olga")


@pytest.fixture
def cast(tess, uma, otto, cara, fiona, olga):
    return {"tess": tess, "uma": uma, "otto": otto, "cara": cara, "fiona": fiona, "olga": olga}


@pytest.fixture
def browse(client, cast):
    """Return a test client signed in as ``viewer`` (or anonymous)."""

    def sign_in(viewer: str):
        if viewer != "anonymous":
            client.force_login(cast[viewer])
        return client

    return sign_in


def secrets_of(person: Client) -> list[str]:
    return [person.first_name, person.last_name, person.email]


def assert_not_leaked(body: str, person: Client) -> None:
    for value in secrets_of(person):
        assert value not in body, f"{value!r} leaked"


@pytest.mark.parametrize("viewer", list(VISIBLE))
def test_changelist_lists_exactly_the_visible_clients(browse, cast, viewer):
    response = browse(viewer).get(reverse("admin:clients_client_changelist"))
    if viewer == "anonymous":
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("admin:login"))
        return
    assert response.status_code == 200
    body = response.content.decode()
    for name in CLIENTS:
        if name in VISIBLE[viewer]:
            assert cast[name].email in body
        else:
            assert_not_leaked(body, cast[name])


@pytest.mark.parametrize("viewer", list(VISIBLE))
@pytest.mark.parametrize("target", CLIENTS)
def test_change_page_is_shown_only_to_those_who_may_see_it(browse, cast, viewer, target):
    person = cast[target]
    response = browse(viewer).get(reverse("admin:clients_client_change", args=[person.pk]))
    if viewer == "anonymous":
        assert response.status_code == 302
    elif target in VISIBLE[viewer]:
        assert response.status_code == 200
        assert person.email in response.content.decode()
    else:
        assert response.status_code == 404
        assert_not_leaked(response.content.decode(), person)


@pytest.mark.parametrize("viewer", list(VISIBLE))
@pytest.mark.parametrize("target", CLIENTS)
def test_delete_page_and_post_respect_scope_and_role(browse, cast, viewer, target):
    person = cast[target]
    url = reverse("admin:clients_client_delete", args=[person.pk])
    browser = browse(viewer)
    page = browser.get(url)
    posted = browser.post(url, {"post": "yes"})
    still_there = Client.objects.filter(pk=person.pk).exists()
    if viewer == "anonymous":
        assert (page.status_code, posted.status_code) == (302, 302)
        assert still_there
    elif target not in VISIBLE[viewer]:
        assert (page.status_code, posted.status_code) == (404, 404)
        assert_not_leaked(page.content.decode(), person)
        assert still_there
    elif viewer == "tess":
        assert page.status_code == 200
        assert posted.status_code == 302
        assert not still_there
    else:
        # Therapists may not delete client records; erasure is the owner's decision.
        assert (page.status_code, posted.status_code) == (403, 403)
        assert still_there


@pytest.mark.parametrize("viewer", list(VISIBLE))
def test_autocomplete_offers_only_visible_clients(browse, cast, viewer):
    response = browse(viewer).get(
        reverse("admin:autocomplete"),
        {"app_label": "clients", "model_name": "consentrecord", "field_name": "client", "term": ""},
    )
    if viewer == "anonymous":
        assert response.status_code == 302
        return
    assert response.status_code == 200
    ids = {int(row["id"]) for row in json.loads(response.content)["results"]}
    assert ids == {cast[name].pk for name in VISIBLE[viewer]}


@pytest.mark.parametrize("viewer", ["tess", "uma", "otto"])
def test_search_never_reaches_out_of_scope_clients(browse, cast, viewer):
    response = browse(viewer).get(reverse("admin:clients_client_changelist"), {"q": "example.net"})
    body = response.content.decode()
    for name in CLIENTS:
        if name not in VISIBLE[viewer]:
            assert_not_leaked(body, cast[name])
        else:
            assert cast[name].email in body


def test_bulk_delete_ignores_ids_of_other_practices(browse, cast):
    response = browse("tess").post(
        reverse("admin:clients_client_changelist"),
        {"action": "delete_selected", "_selected_action": [cast["cara"].pk, cast["olga"].pk], "post": "yes"},
    )
    assert response.status_code == 302
    assert not Client.objects.filter(pk=cast["cara"].pk).exists()
    assert Client.objects.filter(pk=cast["olga"].pk).exists()


def test_therapist_filter_lists_no_other_practice_staff(browse, cast):
    body = browse("tess").get(reverse("admin:clients_client_changelist")).content.decode()
    assert f"therapist__id__exact={cast['uma'].pk}" in body  # her colleague is a filter choice
    assert f"therapist__id__exact={cast['otto'].pk}" not in body  # another practice's is not


def test_therapist_can_only_file_clients_under_themselves(browse, cast):
    browser = browse("uma")
    form = browser.get(reverse("admin:clients_client_add")).content.decode()
    assert "Harper" not in form  # Tess is not a therapist choice for Uma
    assert "Elsewhere" not in form
    data = {
        "practice": cast["tess"].practice_memberships.get().practice_id,
        "therapist": cast["tess"].pk,
        "first_name": "Nadia",
        "last_name": "Quill",
        "email": "nadia@example.net",
        "status": "active",
        **CLIENT_INLINES,
    }
    response = browser.post(reverse("admin:clients_client_add"), data)
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not Client.objects.filter(email="nadia@example.net").exists()


def client_form(therapist, **fields) -> dict:
    return {
        "therapist": therapist.pk,
        "first_name": "Nadia",
        "last_name": "Quill",
        "email": "nadia@example.net",
        "status": "active",
        **CLIENT_INLINES,
        **fields,
    }


def test_a_therapist_in_one_practice_neither_sees_nor_chooses_the_practice(browse, cast):
    harbour = cast["uma"].practice_memberships.get().practice
    elsewhere = cast["otto"].practice_memberships.get().practice
    browser = browse("uma")
    form = browser.get(reverse("admin:clients_client_add")).content.decode()
    assert 'name="practice"' not in form and "Harbour Light" not in form
    response = browser.post(reverse("admin:clients_client_add"), client_form(cast["uma"], practice=elsewhere.pk))
    assert response.status_code == 302
    assert Client.objects.get(email="nadia@example.net").practice == harbour  # the forged id is not read


def test_someone_in_several_practices_chooses_among_their_own_only(browse, cast, make_practice, make_staff):
    from practice.models import Membership, Role

    harbour = cast["tess"].practice_memberships.get().practice
    elsewhere = cast["otto"].practice_memberships.get().practice
    annexe = make_practice("Harbour Annexe")
    pia = make_staff("pia", harbour, Role.OWNER, first_name="Pia", last_name="Lind")
    Membership.objects.create(practice=annexe, user=pia, role=Role.OWNER)
    browser = browse("anonymous")
    browser.force_login(pia)
    form = browser.get(reverse("admin:clients_client_add")).content.decode()
    dropdown = form[form.index('name="practice"') : form.index("</select>", form.index('name="practice"'))]
    assert "Harbour Light" in dropdown and "Harbour Annexe" in dropdown and "Elsewhere" not in dropdown
    response = browser.post(reverse("admin:clients_client_add"), client_form(pia, practice=elsewhere.pk))
    assert response.status_code == 200 and "Select a valid choice" in response.content.decode()
    assert not Client.objects.filter(email="nadia@example.net").exists()
    browser.post(reverse("admin:clients_client_add"), client_form(pia, practice=annexe.pk))
    assert Client.objects.get(email="nadia@example.net").practice == annexe


def test_client_cannot_be_moved_into_another_practice(browse, cast):
    elsewhere = cast["otto"].practice_memberships.get().practice
    cara = cast["cara"]
    response = browse("tess").post(
        reverse("admin:clients_client_change", args=[cara.pk]),
        {
            "practice": elsewhere.pk,
            "therapist": cast["tess"].pk,
            "first_name": "Cara",
            "last_name": "Whitfield",
            "email": cara.email,
            "status": "active",
            **CLIENT_INLINES,
        },
    )
    assert response.status_code == 302  # saved, the posted practice not read: Tess has only her own
    cara.refresh_from_db()
    assert cara.practice_id != elsewhere.pk


@pytest.mark.parametrize("viewer", list(VISIBLE))
def test_consent_history_is_scoped_like_clients(browse, cast, viewer):
    for name in CLIENTS:
        consent_set(client=cast[name], channel="newsletter", given=True, source="test")
    response = browse(viewer).get(reverse("admin:clients_consentrecord_changelist"))
    if viewer == "anonymous":
        assert response.status_code == 302
        return
    body = response.content.decode()
    for name in CLIENTS:
        if name in VISIBLE[viewer]:
            assert cast[name].last_name in body
        else:
            assert_not_leaked(body, cast[name])
    other = ConsentRecord.objects.exclude(client__in=[cast[n] for n in VISIBLE[viewer]]).first()
    page = browse(viewer).get(reverse("admin:clients_consentrecord_change", args=[other.pk]))
    assert page.status_code == 404


@pytest.fixture
def answered(cast, make_version):
    """A completed response (with its assignment) for every client in the cast."""
    from assessments import assignments, services
    from assessments.models import Response

    version = make_version()
    rows = {}
    for name in CLIENTS:
        person = cast[name]
        consent_set(client=person, channel="questionnaires", given=True, source="test")
        assignment = assignments.assignment_create(version=version, respondent=person)
        answers = {"low": "1", "calm": "1", "harm": "0"}
        response = Response.objects.create(
            version=version,
            respondent=person,
            answers=answers,
            scores=services.version_score(version, answers),
            completed_at=timezone.now(),
        )
        rows[name] = (assignment, response)
    return rows


@pytest.mark.parametrize("viewer", list(VISIBLE))
@pytest.mark.parametrize("target", CLIENTS)
def test_results_exports_and_archives_follow_the_matrix(browse, cast, answered, viewer, target):
    """Response and assignment pages, review, CSV and FHIR exports, the subject-access archive and erasure."""
    from assessments.models import AccessEvent, Response

    person = cast[target]
    assignment, response = answered[target]
    viewer_client = browse(viewer)
    visible = target in VISIBLE[viewer]
    pages = [
        reverse("admin:assessments_response_change", args=[response.pk]),
        reverse("admin:assessments_assignment_change", args=[assignment.pk]),
    ]
    for page in pages:
        reply = viewer_client.get(page)
        expected = 302 if viewer == "anonymous" else 200 if visible else 404
        assert reply.status_code == expected, page
        if not visible:
            assert_not_leaked(reply.content.decode(), person)
    actions = [
        ("admin:assessments_response_changelist", "export_csv", response.pk),
        ("admin:assessments_response_changelist", "export_fhir", response.pk),
        ("admin:clients_client_changelist", "subject_access", person.pk),
    ]
    for changelist, action, pk in actions:
        reply = viewer_client.post(reverse(changelist), {"action": action, "_selected_action": [pk]})
        downloaded = reply.status_code == 200 and "html" not in reply.get("Content-Type", "")
        assert downloaded == visible, (action, reply.status_code)
        if not visible:
            assert_not_leaked(reply.content.decode(errors="replace"), person)
    if viewer != "anonymous":
        queue = viewer_client.get(reverse("admin:assessments_response_queue")).content.decode()
        assert (person.last_name in queue) == visible
    viewer_client.post(reverse("admin:assessments_response_review", args=[response.pk]))
    assert (Response.objects.get(pk=response.pk).reviewed_at is not None) == visible
    if viewer != "anonymous":
        events = viewer_client.get(reverse("admin:assessments_accessevent_changelist")).content.decode()
        if not visible:
            assert_not_leaked(events, person)
    viewer_client.post(
        reverse("admin:clients_client_changelist"),
        {"action": "erase", "_selected_action": [person.pk], "confirm": "ERASE"},
    )
    erased = not Client.objects.filter(pk=person.pk).exists()
    assert erased == (visible and viewer == "tess"), "only the owner of the client's practice erases"
    assert AccessEvent.objects.filter(respondent_id=person.pk).exists() == (visible and not erased)


# --- Instruments and their versions: the library for everyone, a practice's own for that practice only ----------

INSTRUMENTS_VISIBLE = {"tess": {"library", "harbour"}, "uma": {"library", "harbour"}, "otto": {"library"}}


@pytest.fixture
def instruments(make_version, harbour):
    from tests.assessments.conftest import small_document

    return {
        "library": make_version(small_document("library-check")),
        "harbour": make_version({**small_document("harbour-check"), "title": "Harbour Light check"}, owner=harbour),
    }


@pytest.mark.parametrize("viewer", list(VISIBLE))
@pytest.mark.parametrize("which", ["library", "harbour"])
@pytest.mark.parametrize(
    "page",
    [
        "assessments_instrument_change",
        "assessments_instrumentversion_change",
        "assessments_instrumentversion_preview",
        "assessments_instrumentversion_export",
    ],
)
def test_instrument_and_version_pages_follow_the_matrix(browse, cast, instruments, viewer, which, page):
    version = instruments[which]
    pk = version.instrument_id if page == "assessments_instrument_change" else version.pk
    response = browse(viewer).get(reverse(f"admin:{page}", args=[pk]))
    if viewer == "anonymous":
        assert response.status_code == 302
    elif which in INSTRUMENTS_VISIBLE[viewer]:
        assert response.status_code == 200
    else:
        assert response.status_code == 404
        assert "Harbour Light check" not in response.content.decode()


@pytest.mark.parametrize("viewer", ["tess", "uma", "otto"])
def test_instrument_lists_and_dropdowns_follow_the_matrix(browse, cast, instruments, viewer):
    client = browse(viewer)
    pages = [
        client.get(reverse("admin:assessments_instrument_changelist")),
        client.get(reverse("admin:assessments_instrumentversion_changelist")),
        client.get(reverse("admin:clients_questionnaireplan_add")),
    ]
    assert [page.status_code for page in pages] == [200, 200, 200]
    bodies = "".join(page.content.decode() for page in pages)
    assert ("Harbour Light check" in bodies) is ("harbour" in INSTRUMENTS_VISIBLE[viewer])


def test_a_superuser_chooses_the_practice_of_a_new_client(client, django_user_model, cast):
    client.force_login(django_user_model.objects.create_superuser("root", "root@example.org", "x"))
    form = client.get(reverse("admin:clients_client_add")).content.decode()
    dropdown = form[form.index('name="practice"') : form.index("</select>", form.index('name="practice"'))]
    assert "Harbour Light" in dropdown and "Elsewhere Wellbeing" in dropdown


def test_a_duplicate_in_ones_own_practice_is_a_clear_error_not_a_server_error(browse, cast):
    """The practice is set, not shown: the checks that involve it (one address per list, one blog feed per
    practice) still run, and read as the form's own errors."""
    from practice.mail.models import Suppression
    from practice.newsletter.models import BlogFeed, Subscriber

    harbour = cast["tess"].practice_memberships.get().practice
    Suppression.objects.create(practice=harbour, email="gone@example.net", reason="complaint")
    Subscriber.objects.create(practice=harbour, email="reader@example.net", status="confirmed")
    BlogFeed.objects.create(practice=harbour, url="https://blog.example/feed/")
    browser = browse("tess")
    posts = {
        "mail_suppression": {"email": "gone@example.net", "reason": "complaint", "detail": ""},
        "newsletter_subscriber": {"email": "reader@example.net", "name": "", "status": "confirmed", "source": ""},
        "newsletter_blogfeed": {"url": "https://other.example/feed/", "mode": "draft", "active": "on"},
    }
    for model, data in posts.items():
        response = browser.post(reverse(f"admin:{model}_add"), data)
        assert response.status_code == 200, (model, response.status_code)
        page = response.content.decode()
        assert "errornote" in page and "already exists" in page, model
    assert Suppression.objects.count() == Subscriber.objects.count() == BlogFeed.objects.count() == 1
