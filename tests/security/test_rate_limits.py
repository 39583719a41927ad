"""Rate limits count the real client: behind the trusted proxy each client has its own bucket, a client
cannot pick its bucket by writing its own X-Forwarded-For entry, and every 429 says when to come back."""

from __future__ import annotations

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from practice.security import client_ip

pytestmark = pytest.mark.django_db

PROXY = "10.0.0.2"


@pytest.fixture(autouse=True)
def frozen_clock():
    """Windows are fixed in time: frozen, a test cannot straddle two of them."""
    with time_machine.travel(timezone.now(), tick=False) as clock:
        yield clock


def behind_proxy(address: str, spoofed: str = "") -> Client:
    """A client whose request reached us through the proxy, which appended the client's address."""
    forwarded = f"{spoofed}, {address}" if spoofed else address
    return Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=forwarded)


@pytest.fixture
def proxied(settings):
    settings.TANDEM_PROXY_COUNT = 1
    return settings


@pytest.fixture
def open_assignment(make_version, cara, consenting):
    """A sent questionnaire to Cara and a working link to it."""
    from assessments import assignments, links

    def make():
        consenting(cara)
        assignment = assignments.assignment_create(version=make_version(), respondent=cara)
        assignments.assignment_dispatch(assignment_id=assignment.pk)
        return assignment, links.link_issue(assignment=assignment)

    return make


def assert_limited(response) -> None:
    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 600


# --- the address --------------------------------------------------------------------------------------------


def test_without_a_proxy_the_socket_address_counts_and_forwarded_headers_are_ignored(rf, settings):
    settings.TANDEM_PROXY_COUNT = 0
    request = rf.get("/", REMOTE_ADDR="203.0.113.5", HTTP_X_FORWARDED_FOR="198.51.100.1")
    assert client_ip(request) == "203.0.113.5"


def test_behind_the_proxy_the_entry_it_appended_counts_not_the_left_most(rf, proxied):
    request = rf.get("/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="1.2.3.4, 198.51.100.1")
    assert client_ip(request) == "198.51.100.1"
    proxied.TANDEM_PROXY_COUNT = 2
    request = rf.get("/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="1.2.3.4, 198.51.100.1, 10.0.0.9")
    assert client_ip(request) == "198.51.100.1"


def test_a_forwarded_entry_that_is_no_address_falls_back_to_the_socket(rf, proxied):
    for forwarded in ("not-an-address", "1.2.3.4x", "", "\x00"):
        assert client_ip(rf.get("/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=forwarded)) == PROXY


# --- questionnaire links ------------------------------------------------------------------------------------


def test_two_clients_behind_the_proxy_have_a_link_bucket_each(proxied, open_assignment):
    proxied.ASSESSMENTS_LINK_RATE_LIMIT = (3, 600)
    _assignment, token = open_assignment()
    one, two = behind_proxy("198.51.100.1"), behind_proxy("198.51.100.2")
    assert [one.get(f"/q/{token}/").status_code for _ in range(3)] == [200, 200, 200]
    limited = one.get(f"/q/{token}/")
    assert_limited(limited)
    assert limited["Cache-Control"] == "no-store"
    assert two.get(f"/q/{token}/").status_code == 200


def test_a_spoofed_left_most_entry_does_not_buy_a_fresh_link_bucket(proxied, open_assignment):
    proxied.ASSESSMENTS_LINK_RATE_LIMIT = (3, 600)
    _assignment, token = open_assignment()
    for n in range(3):
        assert behind_proxy("198.51.100.1", spoofed=f"192.0.2.{n}").get(f"/q/{token}/").status_code == 200
    assert_limited(behind_proxy("198.51.100.1", spoofed="192.0.2.99").get(f"/q/{token}/"))


def test_the_link_api_shares_the_bucket_and_says_when_to_return(proxied, open_assignment):
    proxied.ASSESSMENTS_LINK_RATE_LIMIT = (2, 600)
    _assignment, token = open_assignment()
    one = behind_proxy("198.51.100.1")
    assert one.get(f"/q/{token}/").status_code == 200
    assert one.get("/api/v1/respond/", HTTP_X_LINK_TOKEN=token).status_code == 200
    limited = one.get("/api/v1/respond/", HTTP_X_LINK_TOKEN=token)
    assert_limited(limited)
    assert limited.json()["code"] == "throttled"
    assert behind_proxy("198.51.100.2").get("/api/v1/respond/", HTTP_X_LINK_TOKEN=token).status_code == 200


# --- the newsletter -----------------------------------------------------------------------------------------


def subscribe(client: Client, practice, n: int):
    data = {"name": "Reader", "email": f"reader{n}@example.org", "consent": "yes"}
    return client.post(f"/newsletter/{practice.pk}/subscribe/", data)


def test_two_subscribers_behind_the_proxy_have_a_bucket_each(proxied, harbour):
    proxied.TANDEM_RATE_LIMITS = {"newsletter-subscribe": "2/10m"}
    one, two = behind_proxy("198.51.100.1"), behind_proxy("198.51.100.2")
    assert [subscribe(one, harbour, n).status_code for n in range(2)] == [303, 303]
    limited = subscribe(one, harbour, 3)
    assert_limited(limited)
    assert "Please try again a little later" in limited.content.decode()
    assert subscribe(two, harbour, 4).status_code == 303
    assert subscribe(behind_proxy("198.51.100.1", spoofed="192.0.2.7"), harbour, 5).status_code == 429


@pytest.mark.parametrize("page", ["confirm", "unsubscribe", "preferences"])
def test_the_newsletter_link_pages_are_limited_per_client(proxied, harbour, page):
    from practice.newsletter.models import Subscriber, SubscriberStatus
    from practice.newsletter.tokens import confirm_token, unsubscribe_token

    proxied.TANDEM_RATE_LIMITS = {"newsletter-links": "2/10m"}
    subscriber = Subscriber.objects.create(practice=harbour, email="r@example.org", status=SubscriberStatus.PENDING)
    token = confirm_token(subscriber.pk) if page == "confirm" else unsubscribe_token(subscriber.pk)
    one = behind_proxy("198.51.100.1")
    assert [one.get(f"/newsletter/{page}/{token}/").status_code for _ in range(2)] == [200, 200]
    limited = one.post(f"/newsletter/{page}/{token}/", {"List-Unsubscribe": "One-Click"})
    assert_limited(limited)
    assert limited["Referrer-Policy"] == "no-referrer"
    subscriber.refresh_from_db()
    assert subscriber.status == SubscriberStatus.PENDING  # the refused POST changed nothing
    assert behind_proxy("198.51.100.2").get(f"/newsletter/{page}/{token}/").status_code == 200


# --- signing in ---------------------------------------------------------------------------------------------


def sign_in(client: Client, username: str, password: str | None = None):
    data = {"username": username, "password": password or "not-the-password", "next": "/admin/"}
    return client.post("/admin/login/", data)


def test_two_people_behind_the_proxy_have_a_sign_in_bucket_each(proxied, tess, uma):
    from tests.conftest import PASSWORD

    proxied.TANDEM_RATE_LIMITS = {"sign-in": "3/10m"}
    one, two = behind_proxy("198.51.100.1"), behind_proxy("198.51.100.2")
    for username in ("someone", "else", "again"):  # many usernames from one client: not axes' business
        assert sign_in(one, username).status_code == 200
    limited = sign_in(one, "tess", PASSWORD)
    assert_limited(limited)
    assert "_auth_user_id" not in one.session
    assert sign_in(two, "uma", PASSWORD).status_code == 302
    assert_limited(sign_in(behind_proxy("198.51.100.1", spoofed="192.0.2.8"), "tess", PASSWORD))


def test_the_second_factor_step_is_limited_per_client(proxied, tess):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    proxied.TANDEM_REQUIRE_2FA = True
    proxied.TANDEM_RATE_LIMITS = {"two-factor": "2/10m"}
    TOTPDevice.objects.create(user=tess, name="phone", confirmed=True)
    one = behind_proxy("198.51.100.1")
    one.force_login(tess)
    for _ in range(2):
        assert one.post("/admin/two-factor/", {"token": "12345x"}).status_code == 200
    assert_limited(one.post("/admin/two-factor/", {"token": "12345x"}))
    other = behind_proxy("198.51.100.2")
    other.force_login(tess)
    assert other.post("/admin/two-factor/", {"token": "12345x"}).status_code == 200


def test_the_staff_api_throttle_names_callers_by_the_same_address(rf, proxied):
    from config.rest import UserThrottle

    request = rf.get("/api/v1/clients/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="1.2.3.4, 198.51.100.1")
    assert UserThrottle().get_ident(request) == "198.51.100.1"
