"""The joint summary reaches both partners through their own private links, only once both agreed."""
# ruff: noqa: F811 - the couple fixtures are imported by name

from __future__ import annotations

import re

import pytest
from django.core.cache import cache

from clients.couples.models import JointSummaryLink
from clients.couples.services import (
    couple_assignment_create,
    couple_share_agreement,
    couple_summary_release,
)
from practice.mail.models import OutboundEmail
from tests.clients.couples_fixtures import answer, couple, couples_version, dev  # noqa: F401

SUMMARY_LINK = re.compile(r"http://[^\s\"<>]+/couple-summary/[A-Za-z0-9_-]{43}/")
A_ANSWERS = {"low": "0", "calm": "3"}
B_ANSWERS = {"low": "3", "calm": "2", "harm": "2"}


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()


@pytest.fixture
def released(couple, couples_version, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        pair = couple_assignment_create(couple=couple, version=couples_version)
    answer(pair.assignment_a, A_ANSWERS)
    answer(pair.assignment_b, B_ANSWERS)
    pair.refresh_from_db()
    for partner in couple.partners:
        couple_share_agreement(couple=couple, partner=partner, agreed=True)
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        couple_summary_release(couple_assignment=pair)
    return pair


def summary_links(mailoutbox) -> dict[str, str]:
    return {
        message.to[0]: SUMMARY_LINK.search(message.body).group(0)
        for message in mailoutbox
        if "joint summary" in message.subject
    }


def test_each_partner_gets_an_email_with_a_link_of_their_own_and_no_content(released, mailoutbox, cara, dev):
    links = summary_links(mailoutbox)
    assert set(links) == {cara.email, dev.email} and len(set(links.values())) == 2
    for message in mailoutbox:
        assert "Feeling" not in message.body and "%" not in message.body  # links only, no content
    stored = " ".join(
        OutboundEmail.objects.filter(to_email__in=[cara.email, dev.email]).values_list("body_text", flat=True)
    )
    assert "/couple-summary/" not in stored  # the outbox never holds the link
    assert JointSummaryLink.objects.count() == 2


def test_the_summary_shows_scales_and_lists_but_no_answers(client, released, mailoutbox, cara):
    page = client.get(summary_links(mailoutbox)[cara.email])
    text = page.content.decode()
    assert page.status_code == 200 and page["Cache-Control"] == "no-store" and page["Referrer-Policy"] == "no-referrer"
    # low: 0 and 3 on 0-3, healthy low: different views; calm (reverse-keyed, healthy high): 3 and 2: a strength;
    # harm was not shown to Cara: not compared.
    assert "Feeling calm" in text and "Feeling low" in text and "Thoughts of harming" not in text
    assert "50 % of 2 statements" in text
    assert "Nearly every day" not in text and "Several days" not in text  # no answer labels, no scores


def test_the_links_stop_when_a_partner_withdraws_agreement(client, released, mailoutbox, couple, dev):
    url = summary_links(mailoutbox)[dev.email]
    couple_share_agreement(couple=couple, partner=couple.partner_a, agreed=False)
    assert client.get(url).status_code == 404


def test_a_forged_or_unknown_link_shows_nothing(client, released):
    for token in ("x" * 43, "", "a" * 500, "%00"):
        reply = client.get(f"/couple-summary/{token}/")
        assert reply.status_code == 404 and "Feeling" not in reply.content.decode()


def test_nothing_is_sent_before_both_agree(couple, couples_version, mailoutbox, django_capture_on_commit_callbacks):
    from clients.couples.services import CoupleError

    with django_capture_on_commit_callbacks(execute=True):
        pair = couple_assignment_create(couple=couple, version=couples_version)
    answer(pair.assignment_a, A_ANSWERS)
    answer(pair.assignment_b, B_ANSWERS)
    pair.refresh_from_db()
    couple_share_agreement(couple=couple, partner=couple.partner_b, agreed=True)
    mailoutbox.clear()
    with pytest.raises(CoupleError):
        couple_summary_release(couple_assignment=pair)
    assert not summary_links(mailoutbox) and not JointSummaryLink.objects.exists()
