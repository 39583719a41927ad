"""A published version's page is rendered once for everyone who has given the same answer codes on it: the
markup holds neither the link's token nor anything a client typed, and a client's own text is never shared."""

from __future__ import annotations

import pytest
from django.urls import reverse

from assessments import assignments, links, views
from assessments.services import version_publish

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_links(make_version, make_client, tess, consenting):
    version = make_version()
    tokens = []
    for first_name in ("Ada", "Bea"):
        client = make_client(tess, first_name=first_name, last_name="Shared", email=f"{first_name}@example.net")
        consenting(client)
        assignment = assignments.assignment_create(version=version, respondent=client)
        assignments.assignment_dispatch(assignment_id=assignment.pk)
        tokens.append(links.link_issue(assignment=assignment))
    views._shared_page_html.cache_clear()
    return tokens


def page(client, token: str) -> str:
    response = client.get(reverse("assessments:page", args=[token, 1]))
    assert response.status_code == 200
    return response.content.decode()


def save(client, token: str, answers: dict[str, str]) -> None:
    data = {f"item-{key}": value for key, value in answers.items()}
    response = client.post(reverse("assessments:page", args=[token, 1]), {**data, "action": "save"})
    assert response.status_code == 303


def test_two_clients_with_the_same_answers_get_the_same_page_without_their_tokens(client, two_links):
    ada, bea = two_links
    assert page(client, ada) == page(client, bea)
    assert ada not in page(client, ada) and bea not in page(client, bea)
    assert views._shared_page_html.cache_info().hits >= 2

    save(client, ada, {"low": "2"})
    mine, theirs = page(client, ada), page(client, bea)
    assert 'name="item-low" value="2" checked' in mine
    assert 'name="item-low" value="2" checked' not in theirs and "checked" not in theirs


def test_a_page_showing_what_a_client_typed_is_rendered_for_that_request_alone(client, two_links):
    ada, bea = two_links
    save(client, ada, {"low": "1", "notes": "My private words"})
    before = views._shared_page_html.cache_info()
    assert "My private words" in page(client, ada)
    assert views._shared_page_html.cache_info().misses == before.misses  # not kept, not looked up
    assert "My private words" not in page(client, bea)


def test_a_draft_or_a_page_context_that_is_not_text_is_never_shared(make_version):
    views._shared_page_html.cache_clear()
    version = make_version(publish=False)
    assert views._shared_page_key(views.published_form(version), [], {}, {"brand_name": "x"}) is None
    published = version_publish(version)
    assert views._shared_page_key(views.published_form(published), [], {}, {"brand_name": "x"}) is not None
    assert views._shared_page_key(views.published_form(published), [], {}, {"brand_name": ["not text"]}) is None
