"""The scoping matrix: every route under /api/v1/, who may reach what, and nothing of another tenant in any body.

``MATRIX`` names every route. A route added without a row here fails
``test_the_matrix_covers_every_api_route``. Each row says how to call the route for an object of
Uma's (Harbour Light): anonymous callers get 401, Otto (Elsewhere) gets 404 for her objects and sees
none of Harbour Light's data in any answer, and Uma gets 404 for what belongs to Tess's client.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from clients import appointments
from clients.models import Appointment, QuestionnairePlan
from tests.api.conftest import api_client, link_client


@dataclass(frozen=True)
class Route:
    """How to call one route: its methods, a URL for an object of ``side`` and a body for writes.

    ``kind``: ``scoped`` (the caller's tenant only), ``global`` (instruments: shared by every practice)
    or ``link`` (the respondent's endpoints: the private link is the only key).
    """

    kind: str
    methods: tuple[str, ...]
    url: str


MATRIX: dict[str, Route] = {
    "client-list": Route("scoped", ("get", "post"), "/api/v1/clients/"),
    "client-detail": Route("scoped", ("get", "put", "patch", "delete"), "/api/v1/clients/{client}/"),
    "client-consent-records": Route("scoped", ("get",), "/api/v1/clients/{client}/consent-records/"),
    "appointment-list": Route("scoped", ("get", "post"), "/api/v1/appointments/"),
    "appointment-detail": Route("scoped", ("get", "patch"), "/api/v1/appointments/{appointment}/"),
    "appointment-cancel": Route("scoped", ("post",), "/api/v1/appointments/{appointment}/cancel/"),
    "appointment-completed": Route("scoped", ("post",), "/api/v1/appointments/{appointment}/completed/"),
    "appointment-no-show": Route("scoped", ("post",), "/api/v1/appointments/{appointment}/no-show/"),
    "questionnaire-plan-list": Route("scoped", ("get", "post"), "/api/v1/questionnaire-plans/"),
    "questionnaire-plan-detail": Route("scoped", ("get",), "/api/v1/questionnaire-plans/{plan}/"),
    "questionnaire-plan-deactivate": Route("scoped", ("post",), "/api/v1/questionnaire-plans/{plan}/deactivate/"),
    "subscriber-list": Route("scoped", ("get", "post"), "/api/v1/subscribers/"),
    "subscriber-detail": Route("scoped", ("get",), "/api/v1/subscribers/{subscriber}/"),
    "subscriber-unsubscribe": Route("scoped", ("post",), "/api/v1/subscribers/{subscriber}/unsubscribe/"),
    "assignment-list": Route("scoped", ("get", "post"), "/api/v1/assignments/"),
    "assignment-detail": Route("scoped", ("get",), "/api/v1/assignments/{assignment}/"),
    "assignment-cancel": Route("scoped", ("post",), "/api/v1/assignments/{assignment}/cancel/"),
    "assignment-resend": Route("scoped", ("post",), "/api/v1/assignments/{assignment}/resend/"),
    "assignment-extend": Route("scoped", ("post",), "/api/v1/assignments/{assignment}/extend/"),
    "response-list": Route("scoped", ("get",), "/api/v1/responses/"),
    "response-detail": Route("scoped", ("get",), "/api/v1/responses/{response}/"),
    "response-fhir": Route("scoped", ("get",), "/api/v1/responses/{response}/fhir/"),
    "instrument-list": Route("global", ("get", "post"), "/api/v1/instruments/"),
    "instrument-detail": Route("global", ("get",), "/api/v1/instruments/mood-check/"),
    "instrument-copy": Route("global", ("post",), "/api/v1/instruments/mood-check/copy/"),
    "couple-list": Route("scoped", ("get", "post"), "/api/v1/couples/"),
    "couple-detail": Route("scoped", ("get",), "/api/v1/couples/{couple}/"),
    "couple-unlink": Route("scoped", ("post",), "/api/v1/couples/{couple}/unlink/"),
    "couple-share-agreement": Route("scoped", ("post",), "/api/v1/couples/{couple}/share-agreement/"),
    "couple-assignment-list": Route("scoped", ("get", "post"), "/api/v1/couple-assignments/"),
    "couple-assignment-detail": Route("scoped", ("get",), "/api/v1/couple-assignments/{pair}/"),
    "couple-assignment-close": Route("scoped", ("post",), "/api/v1/couple-assignments/{pair}/close/"),
    "couple-assignment-share": Route("scoped", ("post",), "/api/v1/couple-assignments/{pair}/share/"),
    "couple-assignment-report": Route("scoped", ("get",), "/api/v1/couple-assignments/{pair}/report/"),
    "respond-form": Route("link", ("get",), "/api/v1/respond/"),
    "respond-answers": Route("link", ("post",), "/api/v1/respond/answers/"),
    "respond-submit": Route("link", ("post",), "/api/v1/respond/submit/"),
}

#: Routes that are not endpoints: the JSON 404 for anything else under /api/v1/.
NOT_ENDPOINTS = {"not-found"}


def api_route_names() -> set[str]:
    """Every named route under /api/v1/, read from the URL resolver itself."""
    names: set[str] = set()

    def walk(patterns, prefix: str, namespace: str) -> None:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                inner = f"{namespace}:{pattern.namespace}" if pattern.namespace else namespace
                walk(pattern.url_patterns, prefix + str(pattern.pattern), inner)
            elif isinstance(pattern, URLPattern) and namespace == ":api:v1":
                assert pattern.name, f"unnamed API route {prefix}{pattern.pattern}"
                names.add(pattern.name)

    walk(get_resolver().url_patterns, "", "")
    return names


def test_the_matrix_covers_every_api_route():
    assert api_route_names() - NOT_ENDPOINTS == set(MATRIX)


@pytest.fixture
def world(world, version, couples_version, consenting):
    """The shared world, and on each side's client a past appointment (so every action applies) and a plan."""
    started = timezone.now().replace(microsecond=0) - timedelta(hours=1)
    for side in world.values():
        side.appointment = appointments.appointment_book(
            client=side.client, therapist=side.client.therapist, starts_at=started, note="private"
        )
        side.plan = QuestionnairePlan.objects.create(client=side.client, instrument=version.instrument)
        with_a_couple(side, couples_version, consenting)
    return world


@pytest.fixture
def couples_version(make_version):
    from tests.assessments.conftest import small_document

    return make_version(small_document("us-check") | {"couples": True})


def with_a_couple(side, version, consenting) -> None:
    """The side's client and a partner (another client of the same therapist), asked a questionnaire together."""
    from clients.couples.services import couple_assignment_create, couple_link
    from clients.models import Client

    partner = consenting(
        Client.objects.create(
            practice=side.client.practice,
            therapist=side.client.therapist,
            first_name="Partner",
            last_name=f"Of{side.client.pk}",
            email=f"partner{side.client.pk}@example.net",
        )
    )
    side.couple = couple_link(partner_a=side.client, partner_b=partner)
    side.pair = couple_assignment_create(couple=side.couple, version=version)


def url_for(route: Route, side) -> str:
    return route.url.format(
        appointment=side.appointment.pk,
        plan=side.plan.pk,
        client=side.client.pk,
        subscriber=side.subscriber.pk,
        assignment=side.assignment.pk,
        response=side.response.pk,
        couple=side.couple.pk,
        pair=side.pair.pk,
    )


def body_for(name: str, side, method: str = "post") -> dict | None:
    """A valid write for each route, aimed at ``side``'s objects (nothing for a read)."""
    if method == "get":
        return None
    return {
        "client-list": {"first_name": "New", "last_name": "Client", "email": "new.client@example.net"},
        "client-detail": {"first_name": "Changed", "last_name": "Name", "email": "changed@example.net"},
        "appointment-list": {"client": side.client.pk, "starts_at": "2031-01-06T10:00:00+00:00"},
        "appointment-detail": {"starts_at": "2031-01-07T10:00:00+00:00", "note": "moved"},
        "questionnaire-plan-list": {"client": side.client.pk, "instrument": "mood-check"},
        "subscriber-list": {"email": "new.reader@example.com"},
        "assignment-list": {"respondent": side.client.pk, "instrument": "mood-check"},
        "assignment-extend": {"days": 3},
        "instrument-list": {"document": {}},
        "respond-answers": {"answers": {"low": "1"}},
        "couple-list": {"partner_a": side.client.pk, "partner_b": side.couple.partner_b_id},
        "couple-share-agreement": {"partner": side.client.pk, "agreed": True},
        "couple-assignment-list": {"couple": side.couple.pk, "instrument": "us-check"},
    }.get(name, {})


CALLS = [(name, method) for name, route in MATRIX.items() for method in route.methods]


@pytest.mark.parametrize(("name", "method"), [call for call in CALLS if MATRIX[call[0]].kind != "link"])
def test_anonymous_callers_are_refused(world, anonymous, name, method):
    """Everything but the respondent's endpoints, whose key is the link (see test_respond)."""
    route = MATRIX[name]
    response = getattr(anonymous, method)(
        url_for(route, world["uma"]), body_for(name, world["uma"], method), format="json"
    )
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert "Fiona" not in response.content.decode()


@pytest.mark.parametrize(("name", "method"), CALLS)
def test_the_other_practice_gets_404_and_never_sees_our_data(world, as_otto, name, method):
    route = MATRIX[name]
    uma_side = world["uma"]
    if route.kind == "link":
        response = getattr(link_client(world["otto"].token), method)(
            route.url, body_for(name, uma_side, method), format="json"
        )
    else:
        response = getattr(as_otto, method)(url_for(route, uma_side), body_for(name, uma_side, method), format="json")
    text = response.content.decode()
    for secret in ("Fiona", "fiona.lund", "Cara", "cara.whitfield", "reader.uma", "reader.tess", "Harbour"):
        assert secret not in text, f"{method.upper()} {name} showed {secret!r} to Otto"
    if route.kind == "scoped" and "{" in route.url:
        assert response.status_code == 404
    if route.kind == "scoped" and method == "get" and "{" not in route.url:
        assert response.status_code == 200
        assert response.json()["count"] >= 1  # his own rows, and only his
    if name == "assignment-list" and method == "post":
        assert response.status_code == 400
        assert "respondent" in response.json()
    if name in ("appointment-list", "questionnaire-plan-list") and method == "post":
        assert response.status_code == 400
        assert "client" in response.json()


@pytest.mark.parametrize(("name", "method"), [call for call in CALLS if MATRIX[call[0]].kind == "scoped"])
def test_a_colleague_gets_404_for_another_therapists_client(world, as_uma, name, method):
    """Uma and Tess share a practice; Tess's client Cara is hers, so Uma gets 404 (subscribers are practice-wide)."""
    route = MATRIX[name]
    tess_side = world["tess"]
    response = getattr(as_uma, method)(url_for(route, tess_side), body_for(name, tess_side, method), format="json")
    text = response.content.decode()
    if name.startswith("subscriber"):
        assert response.status_code in (200, 201, 403)  # the newsletter belongs to the whole practice
        return
    assert "Cara" not in text and "cara.whitfield" not in text
    if "{" in route.url:
        assert response.status_code == 404


def test_the_owner_sees_the_whole_practice_and_nothing_else(world, as_tess):
    clients = as_tess.get("/api/v1/clients/").json()["results"]
    assert {client["first_name"] for client in clients} == {"Cara", "Fiona", "Partner"}  # "Partner": of a couple
    assignments = as_tess.get("/api/v1/assignments/").json()["results"]
    ours = (world["tess"], world["uma"])
    assert {row["respondent"] for row in assignments} == {
        person for side in ours for person in (side.client.pk, side.couple.partner_b_id)
    }
    assert as_tess.get(f"/api/v1/responses/{world['otto'].response.pk}/").status_code == 404
    booked = as_tess.get("/api/v1/appointments/").json()["results"]
    assert {row["client"] for row in booked} == {world["tess"].client.pk, world["uma"].client.pk}
    plans = as_tess.get("/api/v1/questionnaire-plans/").json()["results"]
    assert {row["client"] for row in plans} == {world["tess"].client.pk, world["uma"].client.pk}
    assert as_tess.get(f"/api/v1/appointments/{world['otto'].appointment.pk}/").status_code == 404


def test_nothing_out_of_scope_is_changed_by_a_refused_call(world, as_otto, as_uma):
    """The 404s above change nothing: the appointments of Uma and Tess are as they were booked."""
    for api, side in ((as_otto, world["uma"]), (as_uma, world["tess"])):
        appointment = side.appointment
        for action in ("cancel", "completed", "no-show"):
            assert api.post(f"/api/v1/appointments/{appointment.pk}/{action}/").status_code == 404
        assert api.patch(f"/api/v1/appointments/{appointment.pk}/", {"note": "x"}, format="json").status_code == 404
        assert api.post(f"/api/v1/questionnaire-plans/{side.plan.pk}/deactivate/").status_code == 404
        fresh = Appointment.objects.get(pk=appointment.pk)
        assert (fresh.status, fresh.note, fresh.sequence) == ("booked", "private", 0)
        assert QuestionnairePlan.objects.get(pk=side.plan.pk).active


def test_a_user_who_is_not_staff_is_refused(world, django_user_model):
    outsider = django_user_model.objects.create_user("outsider", password="correct-horse-battery-staple")
    response = api_client(outsider).get("/api/v1/clients/")
    assert response.status_code == 403


def test_a_wrong_token_is_401(world):
    api = api_client()
    api.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    assert api.get("/api/v1/clients/").status_code == 401


def test_an_unknown_api_path_is_a_json_404(world, as_uma):
    response = as_uma.post("/api/v1/nowhere/at/all/", {}, format="json")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


def test_a_missing_trailing_slash_is_named_rather_than_redirected(world, as_uma):
    response = as_uma.post("/api/v1/clients", {"first_name": "A"}, format="json")
    assert response.status_code == 404
    assert response.json()["detail"].endswith("/api/v1/clients/")


# --- Instruments owned by one practice: the library is shared, a practice's own is nobody else's ----------------

#: Every instrument route, called for Harbour Light's own instrument (``harbour-check``).
OWNED_INSTRUMENT_CALLS = [
    ("instrument-detail", "get", "/api/v1/instruments/harbour-check/", None),
    ("instrument-copy", "post", "/api/v1/instruments/harbour-check/copy/", None),
    ("assignment-list", "post", "/api/v1/assignments/", "assign"),
    ("questionnaire-plan-list", "post", "/api/v1/questionnaire-plans/", "plan"),
    ("instrument-list", "post", "/api/v1/instruments/", "import"),
]


@pytest.fixture
def harbour_check(make_version, harbour):
    from tests.assessments.conftest import small_document

    doc = {**small_document("harbour-check"), "title": "Harbour Light check"}
    return make_version(doc, owner=harbour)


@pytest.fixture
def as_elsewhere_owner(make_staff, elsewhere):
    from practice.models import Role

    return api_client(make_staff("olive", elsewhere, Role.OWNER))


@pytest.mark.parametrize(("name", "method", "url", "body"), OWNED_INSTRUMENT_CALLS)
def test_another_practices_instrument_is_a_404_or_refused_on_every_instrument_route(
    world, harbour_check, as_elsewhere_owner, name, method, url, body
):
    from assessments.models import Assignment, Instrument, InstrumentVersion
    from tests.assessments.conftest import small_document

    olga = world["otto"].client
    data = {
        None: None,
        "assign": {"respondent": olga.pk, "instrument": "harbour-check"},
        "plan": {"client": olga.pk, "instrument": "harbour-check"},
        "import": {"document": small_document("harbour-check"), "publish": True},
    }[body]
    before = (Instrument.objects.count(), InstrumentVersion.objects.count(), Assignment.objects.count())
    response = getattr(as_elsewhere_owner, method)(url, data, format="json")
    assert response.status_code in ((404,) if body in (None, "import") else (400,))
    if body in ("assign", "plan"):
        assert "instrument" in response.json()
    assert "Harbour" not in response.content.decode()
    assert (Instrument.objects.count(), InstrumentVersion.objects.count(), Assignment.objects.count()) == before
    assert not QuestionnairePlan.objects.filter(client=olga, instrument=harbour_check.instrument).exists()


def test_the_instrument_list_shows_the_library_and_the_callers_own_only(world, harbour_check, as_tess, as_otto):
    assert {row["slug"] for row in as_tess.get("/api/v1/instruments/").json()["results"]} >= {
        "mood-check",
        "harbour-check",
    }
    seen_by_otto = {row["slug"]: row["library"] for row in as_otto.get("/api/v1/instruments/").json()["results"]}
    assert "harbour-check" not in seen_by_otto
    assert seen_by_otto["mood-check"] is True
