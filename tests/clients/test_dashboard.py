"""The admin's front page as the therapist's day: scoped to her, risk first, every figure a link, few queries."""

from __future__ import annotations

import re
from datetime import timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from clients.models import Appointment, Client
from tests.assessments.test_results import make_response  # noqa: F401 - a fixture

FRONT = "/admin/"


def panel(html: str, title: str) -> str:
    found = re.search(rf"<h2 [^>]*>{re.escape(title)}</h2>(.*?)</section>", html, re.S)
    return found.group(1) if found else ""


def test_responses_wait_for_review_risk_first_with_band_and_change(client, tess, cara, make_response):  # noqa: F811
    make_response(cara, {"low": "0", "calm": "3", "harm": "0"}, days_ago=20)
    make_response(cara, {"low": "1", "calm": "2", "harm": "0"}, days_ago=10)
    make_response(cara, days_ago=1)  # the default answers carry a risk flag
    client.force_login(tess)
    waiting = panel(client.get(FRONT).content.decode(), "Questionnaires")
    rows = re.findall(r"<li>(.*?)</li>", waiting, re.S)
    assert len(rows) == 3
    assert "Risk flag" in rows[0] and "Risk flag" not in rows[1] + rows[2]
    assert "since last time" in rows[0] and "first time" in rows[1]
    assert re.search(r"Total \d+ \(", rows[0]), "the score with its band"
    assert 'href="/admin/assessments/response/' in rows[0]


def test_a_therapist_sees_her_own_clients_only_and_no_practice_figures(
    client,
    uma,
    cara,
    fiona,
    make_response,  # noqa: F811
):
    make_response(cara)
    make_response(fiona)
    client.force_login(uma)
    html = client.get(FRONT).content.decode()
    assert str(fiona) in panel(html, "Questionnaires") and str(cara) not in html
    assert panel(html, "The practice") == "" and panel(html, "Email") == ""


def test_owners_see_the_practice_and_its_email_and_every_figure_links_to_its_list(client, tess, cara):
    client.force_login(tess)
    html = client.get(FRONT).content.decode()
    practice = panel(html, "The practice")
    assert re.search(r'<a href="/admin/clients/client/\?status__exact=active">Active clients</a></th><td>1<', practice)
    assert 'href="/admin/mail/outboundemail/?status__exact=failed">Failed in the last 7 days' in panel(html, "Email")
    for url in re.findall(r'<th scope="row"><a href="([^"]+)"', html):
        assert client.get(url).status_code == 200, url


def test_clients_not_seen_for_a_while(client, tess, cara, make_client):
    now = timezone.now()
    Client.objects.filter(pk=cara.pk).update(created_at=now - timedelta(weeks=30))
    Appointment.objects.create(client=cara, therapist=tess, starts_at=now - timedelta(weeks=8))
    booked = make_client(tess, first_name="Bea")
    Client.objects.filter(pk=booked.pk).update(created_at=now - timedelta(weeks=30))
    Appointment.objects.create(
        client=booked, therapist=tess, starts_at=now - timedelta(weeks=8, hours=3)
    )  # not in the same hour: one therapist, one room
    Appointment.objects.create(client=booked, therapist=tess, starts_at=now + timedelta(days=3))
    make_client(tess, first_name="Newcomer")  # created today: not "a while" yet
    client.force_login(tess)
    seen = panel(client.get(FRONT).content.decode(), "Clients not seen for a while")
    assert cara.display_name in seen and "last seen" in seen
    assert "Bea" not in seen and "Newcomer" not in seen
    assert re.search(r'href="/admin/clients/client/\?seen=long-ago">[^<]+</a></th><td>1<', seen)
    listed = client.get(reverse("admin:clients_client_changelist") + "?seen=long-ago").content.decode()
    assert cara.display_name in listed and "Bea" not in listed


def test_the_front_page_takes_the_same_queries_for_one_response_or_ten(client, tess, cara, make_response):  # noqa: F811
    client.force_login(tess)
    counts = []
    for _ in range(2):
        for days in range(5):
            make_response(cara, {"low": "1", "calm": "2", "harm": "0"}, days_ago=days)
        client.get(FRONT)
        with CaptureQueriesContext(connection) as queries:
            client.get(FRONT)
        counts.append(len(queries))
    assert counts[0] == counts[1], counts
