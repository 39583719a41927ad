"""Fixtures for couples: Cara (Tess's client) and her partner Dev, also Tess's, and a questionnaire for couples."""

from __future__ import annotations

import pytest

from assessments import assignments, links
from tests.assessments.conftest import small_document


@pytest.fixture
def couples_version(make_version):
    """The small test instrument marked as suited to couples (its total says higher is worse)."""
    return make_version(small_document("us-check") | {"couples": True})


@pytest.fixture
def dev(make_client, tess):
    return make_client(tess, first_name="Dev", last_name="Marsh", email="dev.marsh@example.net")


@pytest.fixture
def couple(cara, dev, tess, consenting):
    from clients.couples.services import couple_link

    consenting(cara)
    consenting(dev)
    return couple_link(partner_a=cara, partner_b=dev, by=tess)


def answer(assignment, answers: dict) -> None:
    """A partner answers through their own link and sends their answers."""
    links.link_issue(assignment=assignment)
    assignment.refresh_from_db()
    assignments.assignment_save_answers(assignment=assignment, answers=answers)
    assignments.assignment_submit(assignment=assignment)
