"""Each page says what it is once: one <h1>, the admin's own."""

from __future__ import annotations

from django.urls import reverse

from tests.assessments.test_results import make_response  # noqa: F401 - a fixture


def test_the_assign_form_and_a_response_have_one_heading(client, tess, cara, consenting, make_response):  # noqa: F811
    consenting(cara)
    response = make_response(cara)
    client.force_login(tess)
    assign = client.get(reverse("admin:clients_client_assign") + f"?ids={cara.pk}").content.decode()
    assert assign.count("<h1") == 1 and "<h1>Assign a questionnaire</h1>" in assign
    page = client.get(reverse("admin:assessments_response_change", args=[response.pk])).content.decode()
    assert page.count("<h1") == 1 and f"— {cara}</h1>" in page
