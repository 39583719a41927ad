"""Hostile input through every public surface: the corpus, then hypothesis-made text, per surface.

The checks and the surfaces live in tests/security/hostile.py; the run ends with a count per surface.
"""

from __future__ import annotations

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from practice.newsletter.models import Subscriber, SubscriberStatus
from practice.newsletter.tokens import confirm_token, unsubscribe_token
from tests.security import hostile

pytestmark = pytest.mark.django_db

SURFACE_NAMES = sorted(hostile.SURFACES)

#: Text hypothesis builds: anything unicode (surrogates aside), biased towards markup and line breaks.
hostile_text = st.one_of(
    st.text(max_size=300),
    st.text(alphabet=st.sampled_from(list("<>\"'&/\\\r\n\x00;=%{}@ scriptSCRIPT")), max_size=120),
    st.builds(lambda a, b: f"{a}<script>{b}</script>", st.text(max_size=40), st.text(max_size=40)),
)


@pytest.fixture
def world(harbour, tess, cara, consenting, make_version, settings) -> hostile.World:
    from assessments import assignments, links

    # The per-account cap has its tests (test_lockout); here it would lock Tess and email her, rows that
    # the check "a refused request changes nothing" would rightly count.
    settings.TANDEM_ACCOUNT_FAILURE_LIMIT = 10**6

    subscriber = Subscriber.objects.create(
        practice=harbour, email="reader@example.net", name="Reader", status=SubscriberStatus.PENDING
    )
    consenting(cara)
    assignment = assignments.assignment_create(version=make_version(), respondent=cara)
    assignments.assignment_dispatch(assignment_id=assignment.pk)
    return hostile.World(
        practice=harbour,
        staff=tess,
        subscriber=subscriber,
        unsubscribe_token=unsubscribe_token(subscriber.pk),
        confirm_token=confirm_token(subscriber.pk),
        extra={
            "assignment_id": assignment.pk,
            "link_token": links.link_issue(assignment=assignment),
            "staff_device": TOTPDevice.objects.create(user=tess, name="phone", confirmed=True).persistent_id,
        },
    )


@pytest.mark.parametrize("surface", SURFACE_NAMES)
def test_the_payload_corpus_breaks_no_surface(surface, world):
    for payload in hostile.CORPUS:
        hostile.attempt(surface, payload, world)


@pytest.mark.parametrize("surface", SURFACE_NAMES)
def test_generated_text_breaks_no_surface(surface, world):
    @settings(
        max_examples=40,
        deadline=None,
        database=None,
        derandomize=True,  # the same examples every run, so `make test` is repeatable
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(payload=hostile_text)
    def property_holds(payload: str) -> None:
        hostile.attempt(surface, payload, world)

    property_holds()


def test_a_forged_link_confirms_and_unsubscribes_nobody(world):
    for payload in hostile.CORPUS:
        hostile.attempt("newsletter confirm: forged token", payload, world)
        hostile.attempt("newsletter unsubscribe: forged token", payload, world)
    world.subscriber.refresh_from_db()
    assert world.subscriber.status == SubscriberStatus.PENDING


def test_accepted_names_really_store_and_queue_mail(world):
    from practice.mail.models import OutboundEmail

    for payload in hostile.CORPUS[:5]:
        hostile.attempt("newsletter subscribe: name", payload, world)
    assert OutboundEmail.objects.filter(to_email__startswith="hostile").count() == 5


def test_the_checks_catch_an_unescaped_script_in_a_page():
    from django.http import HttpResponse

    with pytest.raises(AssertionError, match="unescaped"):
        hostile.check_page(HttpResponse("<p><script>alert(1)</script></p>"), "<script>alert(1)</script>")
    hostile.check_page(HttpResponse("<p>&lt;script&gt;alert(1)</p>"), "<script>alert(1)</script>")


def test_the_checks_catch_a_refused_request_that_stored_something(world, monkeypatch):
    def leaky(client, payload, world):
        Subscriber.objects.create(practice=world.practice, email="leak@example.net")
        return hostile.Attempt([], rejected=True)

    monkeypatch.setitem(hostile.SURFACES, "leaky", leaky)
    with pytest.raises(AssertionError, match="changed stored rows"):
        hostile.attempt("leaky", "x", world)
    hostile.TRIED.pop("leaky", None)
