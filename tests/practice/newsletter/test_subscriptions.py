"""The public side of the newsletter: subscribe with double opt-in, confirm, unsubscribe, preferences."""

from __future__ import annotations

import datetime
import re
import time
from unittest import mock

import pytest
from django.contrib.staticfiles import finders
from django.core import mail
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from practice.mail.models import EmailKind, OutboundEmail, Suppression, SuppressionReason
from practice.newsletter import subscriptions
from practice.newsletter.models import Subscriber, SubscriberStatus
from practice.newsletter.subscriptions import (
    PREFERENCE_PROVIDERS,
    PreferenceCheckbox,
    subscriber_confirm,
    subscriber_from_client_consent,
    subscriber_subscribe,
    subscriber_unsubscribe,
)
from practice.newsletter.tokens import confirm_token, read_confirm_token, unsubscribe_token

CONSENT = "I would like to receive the Harbour Light newsletter by email. I can unsubscribe at any time."
XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def make_subscriber(harbour):
    def make(email: str = "sam@example.org", status: str = SubscriberStatus.CONFIRMED, **fields) -> Subscriber:
        return Subscriber.objects.create(practice=harbour, email=email, status=status, **fields)

    return make


@pytest.fixture
def sam(make_subscriber) -> Subscriber:
    return make_subscriber()


def subscribe_url(practice) -> str:
    return reverse("newsletter:subscribe", args=[practice.pk])


def subscribe(client, practice, **fields):
    data = {"name": "Sam Rivers", "email": "sam@example.org", "consent": "yes", "website": "", **fields}
    return client.post(subscribe_url(practice), data)


def confirm_url(subscriber) -> str:
    return reverse("newsletter:confirm", args=[confirm_token(subscriber.pk)])


def unsubscribe_url(subscriber) -> str:
    return reverse("newsletter:unsubscribe", args=[unsubscribe_token(subscriber.pk)])


def preferences_url(subscriber) -> str:
    return reverse("newsletter:preferences", args=[unsubscribe_token(subscriber.pk)])


def nothing_stored() -> bool:
    return not Subscriber.objects.exists() and not OutboundEmail.objects.exists()


def assert_public_headers(response) -> None:
    assert "no-store" in response["Cache-Control"]
    assert response["Referrer-Policy"] == "no-referrer"


def assert_public_page(response) -> None:
    assert_public_headers(response)
    html = response.content.decode()
    assert '<meta name="robots" content="noindex">' in html
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html
    assert "<style" not in html and "style=" not in html
    assert "<script" not in html
    for url in re.findall(r'(?:src|href|action)="([^"]*)"', html):
        assert url.startswith(("/", "#")) or url == "", f"{url} leaves the site"


# --- Subscribing ------------------------------------------------------------------------------------------------


def test_subscribing_twice_the_same_day_sends_one_confirmation_email(
    client, harbour, django_capture_on_commit_callbacks
):
    for _attempt in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            subscribe(client, harbour)

    [row] = OutboundEmail.objects.all()
    subscriber = Subscriber.objects.get()
    assert row.kind == EmailKind.CONFIRMATION
    assert row.to_email == "sam@example.org"
    assert row.idempotency_key == f"subscriber:{subscriber.pk}:confirm:{timezone.localdate().isoformat()}"
    assert row.status == "sent"
    [message] = mail.outbox
    assert message.to == ["sam@example.org"]
    assert subscriber.status == SubscriberStatus.PENDING


def test_subscribing_again_the_next_day_sends_a_fresh_confirmation(harbour, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        subscriber_subscribe(practice=harbour, email="sam@example.org", name="", consent_text=CONSENT, source="t")
    tomorrow = timezone.now() + datetime.timedelta(days=1)
    with (
        mock.patch("django.utils.timezone.now", return_value=tomorrow),
        django_capture_on_commit_callbacks(execute=True),
    ):
        subscriber_subscribe(practice=harbour, email="sam@example.org", name="", consent_text=CONSENT, source="t")
    assert OutboundEmail.objects.count() == 2
    assert len(mail.outbox) == 2


def test_subscribing_stores_the_exact_consent_wording_and_a_lowercase_address(client, harbour):
    before = timezone.now()
    subscribe(client, harbour, email="  Sam@Example.ORG ", name="  Sam   Rivers ")
    subscriber = Subscriber.objects.get()
    assert subscriber.email == "sam@example.org"
    assert subscriber.name == "Sam Rivers"
    assert subscriber.consent_text == CONSENT
    assert subscriber.consent_at >= before
    assert subscriber.source == "subscribe page"
    assert subscriber.confirmed_at is None


def test_the_subscribe_page_shows_the_consent_wording_next_to_labelled_controls(client, harbour):
    response = client.get(subscribe_url(harbour))
    html = response.content.decode()
    assert response.status_code == 200
    assert f'<label for="id_consent">{CONSENT}</label>' in html
    assert '<label for="id_email">' in html
    assert '<label for="id_name">' in html
    assert_public_page(response)


def test_the_subscribe_page_hides_the_honeypot_from_people(client, harbour):
    html = client.get(subscribe_url(harbour)).content.decode()
    trap = re.search(r'<div class="hp" aria-hidden="true">(.*?)</div>', html, re.S)
    assert trap, "the honeypot sits in a hidden, aria-hidden wrapper"
    assert 'name="website"' in trap.group(1)
    assert 'tabindex="-1"' in trap.group(1)
    assert 'autocomplete="off"' in trap.group(1)
    css = finders.find("practice/public.css")
    with open(css, encoding="utf-8") as stylesheet:
        assert re.search(r"\.hp\s*\{\s*display:\s*none;", stylesheet.read())


def test_the_page_loads_its_stylesheet_from_the_site(client, harbour):
    response = client.get(subscribe_url(harbour))
    assert '<link rel="stylesheet" href="/static/practice/public.css">' in response.content.decode()


def test_an_accepted_subscription_redirects_to_the_check_your_inbox_page(client, harbour):
    response = subscribe(client, harbour)
    assert response.status_code == 303
    assert response["Location"] == reverse("newsletter:subscribe_thanks", args=[harbour.pk])
    page = client.get(response["Location"])
    assert "Please check your inbox" in page.content.decode()
    assert_public_page(page)


def test_known_and_unknown_addresses_get_byte_identical_answers(client, harbour, make_subscriber):
    make_subscriber("confirmed@example.org", SubscriberStatus.CONFIRMED)
    make_subscriber("pending@example.org", SubscriberStatus.PENDING)
    make_subscriber("gone@example.org", SubscriberStatus.UNSUBSCRIBED)
    Suppression.objects.create(practice=harbour, email="bounced@example.org", reason=SuppressionReason.BOUNCE)

    def answer(email: str) -> tuple:
        response = subscribe(Client(), harbour, email=email)
        followed = Client().get(response["Location"])
        return (
            response.status_code,
            response.content,
            response["Location"],
            sorted(response.cookies),
            followed.status_code,
            followed.content,
        )

    unknown = answer("stranger@example.org")
    for email in ["confirmed@example.org", "pending@example.org", "gone@example.org", "bounced@example.org"]:
        assert answer(email) == unknown, email


def test_an_already_confirmed_subscriber_gets_no_new_email_and_is_left_alone(
    client, harbour, sam, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        subscribe(client, harbour, name="Someone Else")
    sam.refresh_from_db()
    assert (sam.status, sam.name) == (SubscriberStatus.CONFIRMED, "")
    assert not OutboundEmail.objects.exists()
    assert mail.outbox == []


def test_an_unsubscribed_person_who_subscribes_again_is_pending_and_gets_a_confirmation(
    client, harbour, make_subscriber, django_capture_on_commit_callbacks
):
    subscriber = make_subscriber(status=SubscriberStatus.UNSUBSCRIBED, unsubscribed_at=timezone.now())
    with django_capture_on_commit_callbacks(execute=True):
        subscribe(client, harbour)
    subscriber.refresh_from_db()
    assert subscriber.status == SubscriberStatus.PENDING
    assert subscriber.consent_text == CONSENT
    assert len(mail.outbox) == 1


def test_a_suppressed_address_gets_no_email_and_nothing_is_stored(client, harbour, django_capture_on_commit_callbacks):
    Suppression.objects.create(practice=harbour, email="sam@example.org", reason=SuppressionReason.COMPLAINT)
    with django_capture_on_commit_callbacks(execute=True):
        response = subscribe(client, harbour, email="SAM@example.org")
    assert response.status_code == 303
    assert nothing_stored()
    assert mail.outbox == []


def test_a_filled_honeypot_pretends_success_and_stores_nothing(client, harbour, django_capture_on_commit_callbacks):
    genuine = subscribe(Client(), harbour, email="real@example.org")
    Subscriber.objects.all().delete()
    OutboundEmail.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=True):
        robot = subscribe(client, harbour, website="https://cheap-pills.example")
    assert (robot.status_code, robot.content, robot["Location"]) == (
        genuine.status_code,
        genuine.content,
        genuine["Location"],
    )
    assert nothing_stored()
    assert mail.outbox == []


def test_the_rate_limit_answers_429_after_ten_attempts_from_one_address(client, harbour):
    for n in range(10):
        assert subscribe(client, harbour, email=f"person{n}@example.org").status_code == 303
    response = subscribe(client, harbour, email="one-too-many@example.org")
    assert response.status_code == 429
    assert "Please try again a little later" in response.content.decode()
    assert_public_page(response)
    assert not Subscriber.objects.filter(email="one-too-many@example.org").exists()


def test_the_rate_limit_counts_per_ip_address(harbour):
    busy = Client(REMOTE_ADDR="192.0.2.1")
    for n in range(11):
        subscribe(busy, harbour, email=f"person{n}@example.org")
    other = subscribe(Client(REMOTE_ADDR="192.0.2.2"), harbour, email="calm@example.org")
    assert other.status_code == 303
    assert Subscriber.objects.filter(email="calm@example.org").exists()


def test_a_missing_email_re_renders_the_form_with_a_linked_message(client, harbour):
    response = subscribe(client, harbour, email="")
    html = response.content.decode()
    assert response.status_code == 200
    assert "Please enter your email address." in html
    assert '<a href="#id_email">Please enter your email address.</a>' in html
    assert 'aria-invalid="true" aria-describedby="id_email-error"' in html
    assert '<p class="error-message" id="id_email-error">' in html
    assert nothing_stored()


def test_an_invalid_email_re_renders_the_form_and_keeps_what_was_typed(client, harbour):
    response = subscribe(client, harbour, email="sam.example.org")
    html = response.content.decode()
    assert "Please enter a complete email address, like name@example.org." in html
    assert 'value="sam.example.org"' in html
    assert 'value="Sam Rivers"' in html
    assert_public_page(response)
    assert nothing_stored()


def test_missing_consent_re_renders_the_form_and_stores_nothing(client, harbour, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(subscribe_url(harbour), {"email": "sam@example.org", "website": ""})
    html = response.content.decode()
    assert response.status_code == 200
    assert "Please tick the box to say you would like to receive the newsletter." in html
    assert 'id="id_consent" value="yes" aria-invalid="true" aria-describedby="id_consent-error"' in html
    assert nothing_stored()
    assert mail.outbox == []


def test_an_unknown_practice_gets_the_calm_404_page(client, harbour):
    for url in [
        reverse("newsletter:subscribe", args=[harbour.pk + 1000]),
        reverse("newsletter:embed", args=[harbour.pk + 1000]),
        reverse("newsletter:subscribe_thanks", args=[harbour.pk + 1000]),
        "/newsletter/99999999999999999999999999/subscribe/",
    ]:
        response = client.get(url)
        assert response.status_code == 404, url
        assert "This link does not work" in response.content.decode()
        assert_public_page(response)


# --- The confirmation email --------------------------------------------------------------------------------------


def test_the_confirmation_email_has_both_parts_the_footer_and_only_the_link(
    client, harbour, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        subscribe(client, harbour, name="Sam Rivers", email="sam@example.org")
    [message] = mail.outbox
    [(html, mimetype)] = message.alternatives
    subscriber = Subscriber.objects.get()
    [link] = set(re.findall(r"https?://\S+", message.body))
    token = re.fullmatch(r"http://127\.0\.0\.1:8000/newsletter/confirm/([^/]+)/", link).group(1)

    assert read_confirm_token(token) == subscriber.pk
    assert mimetype == "text/html"
    assert message.subject == "Please confirm your subscription to the Harbour Light newsletter"
    assert message.from_email == f"Harbour Light <{harbour.sender_email}>"
    for part in (message.body, html):
        assert link in part
        assert "High Street" in part and "Towncaster" in part
        assert harbour.contact_email in part
        assert "asked for the Harbour Light newsletter" in part
        without_link = part.replace(link, "")
        assert "Sam" not in without_link and "Rivers" not in without_link
        assert "sam@example.org" not in without_link
    assert set(re.findall(r'href="([^"]+)"', html)) == {link}


def test_the_link_in_the_email_opens_the_confirmation_page(client, harbour, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        subscribe(client, harbour)
    [link] = re.findall(r"http://127\.0\.0\.1:8000(/\S+)", mail.outbox[0].body)
    response = client.get(link)
    assert response.status_code == 200
    assert "Confirm my subscription" in response.content.decode()


# --- Confirming --------------------------------------------------------------------------------------------------


def test_a_get_of_the_confirmation_link_confirms_nothing(client, make_subscriber):
    subscriber = make_subscriber(status=SubscriberStatus.PENDING)
    for _scanner in range(2):
        response = client.get(confirm_url(subscriber))
        assert response.status_code == 200
    subscriber.refresh_from_db()
    assert (subscriber.status, subscriber.confirmed_at) == (SubscriberStatus.PENDING, None)
    html = response.content.decode()
    assert "csrfmiddlewaretoken" not in html and not response.cookies  # a capability page sets no cookie
    assert '<button type="submit" class="button">Confirm my subscription</button>' in html
    assert_public_page(response)


def test_posting_the_confirmation_form_confirms(make_subscriber):
    subscriber = make_subscriber(status=SubscriberStatus.PENDING)
    browser = Client(enforce_csrf_checks=True)
    browser.get(confirm_url(subscriber))
    # Under Referrer-Policy: no-referrer a real browser posts the form with "Origin: null".
    response = browser.post(confirm_url(subscriber), HTTP_ORIGIN="null")
    assert response.status_code == 200
    assert "Your subscription is confirmed" in response.content.decode()
    assert_public_page(response)
    subscriber.refresh_from_db()
    assert subscriber.status == SubscriberStatus.CONFIRMED
    assert subscriber.confirmed_at is not None


def test_opening_the_link_again_after_confirming_says_so(client, sam):
    response = client.get(confirm_url(sam))
    assert response.status_code == 200
    assert "Your subscription is confirmed" in response.content.decode()


def test_a_head_request_of_the_confirmation_link_confirms_nothing(client, make_subscriber):
    subscriber = make_subscriber(status=SubscriberStatus.PENDING)
    assert client.head(confirm_url(subscriber)).status_code == 200
    subscriber.refresh_from_db()
    assert subscriber.status == SubscriberStatus.PENDING


def test_confirming_needs_the_token_not_a_csrf_cookie(make_subscriber):
    subscriber = make_subscriber(status=SubscriberStatus.PENDING)
    forged = Client(enforce_csrf_checks=True).post("/newsletter/confirm/forged-token/", HTTP_ORIGIN="null")
    assert forged.status_code == 404
    subscriber.refresh_from_db()
    assert subscriber.status == SubscriberStatus.PENDING


def test_an_old_confirmation_link_does_not_resubscribe_someone_who_left(client, make_subscriber):
    subscriber = make_subscriber(status=SubscriberStatus.UNSUBSCRIBED)
    assert client.get(confirm_url(subscriber)).status_code == 404
    assert client.post(confirm_url(subscriber)).status_code == 404
    subscriber.refresh_from_db()
    assert subscriber.status == SubscriberStatus.UNSUBSCRIBED


def test_an_expired_confirmation_link_gets_the_calm_404_page(client, make_subscriber):
    subscriber = make_subscriber(status=SubscriberStatus.PENDING)
    with mock.patch("time.time", return_value=time.time() - 8 * 24 * 60 * 60):
        token = confirm_token(subscriber.pk)
    response = client.post(reverse("newsletter:confirm", args=[token]))
    assert response.status_code == 404
    assert "This link does not work" in response.content.decode()
    subscriber.refresh_from_db()
    assert subscriber.status == SubscriberStatus.PENDING


# --- Unsubscribing ----------------------------------------------------------------------------------------------


def test_one_click_unsubscribe_works_without_cookies_or_csrf_and_does_not_redirect(sam):
    mail_provider = Client(enforce_csrf_checks=True)
    assert not mail_provider.cookies
    response = mail_provider.post(
        unsubscribe_url(sam), "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 200
    assert "Location" not in response
    assert not response.cookies
    assert "You have unsubscribed" in response.content.decode()
    assert_public_page(response)
    sam.refresh_from_db()
    assert sam.status == SubscriberStatus.UNSUBSCRIBED
    assert sam.unsubscribed_at is not None


def test_unsubscribing_does_not_suppress_the_address(client, sam):
    client.post(unsubscribe_url(sam))
    assert not Suppression.objects.exists()


def test_a_get_of_the_unsubscribe_link_changes_nothing(client, sam):
    response = client.get(unsubscribe_url(sam))
    html = response.content.decode()
    assert response.status_code == 200
    assert '<button type="submit" class="button">Unsubscribe</button>' in html
    assert_public_page(response)
    sam.refresh_from_db()
    assert (sam.status, sam.unsubscribed_at) == (SubscriberStatus.CONFIRMED, None)


def test_unsubscribing_twice_shows_the_same_page_and_keeps_the_first_date(sam):
    first = Client(enforce_csrf_checks=True).post(unsubscribe_url(sam))
    sam.refresh_from_db()
    when = sam.unsubscribed_at
    second = Client(enforce_csrf_checks=True).post(unsubscribe_url(sam))
    sam.refresh_from_db()
    assert (first.status_code, first.content) == (second.status_code, second.content)
    assert sam.unsubscribed_at == when


# --- Bad tokens --------------------------------------------------------------------------------------------------


def _bad_tokens(subscriber: Subscriber, view: str) -> dict[str, str]:
    right = confirm_token(subscriber.pk) if view == "confirm" else unsubscribe_token(subscriber.pk)
    other_kind = unsubscribe_token(subscriber.pk) if view == "confirm" else confirm_token(subscriber.pk)
    tampered = right[:-1] + ("A" if right[-1] != "A" else "B")
    someone_else = right.replace(right.split(":")[0], "OTk5OTk", 1)  # the id 99999, signature unchanged
    return {
        "garbage": "not-a-token",
        "other kind": other_kind,
        "tampered": tampered,
        "another id": someone_else,
        "10 kB": "A" * 10_000,
        "deleted subscriber": (confirm_token if view == "confirm" else unsubscribe_token)(subscriber.pk + 1000),
    }


@pytest.mark.parametrize("view", ["confirm", "unsubscribe", "preferences"])
@pytest.mark.parametrize("method", ["get", "post"])
def test_bad_tokens_get_the_calm_404_page_and_change_nothing(client, make_subscriber, view, method):
    subscriber = make_subscriber(status=SubscriberStatus.PENDING)
    for label, token in _bad_tokens(subscriber, view).items():
        response = getattr(client, method)(reverse(f"newsletter:{view}", args=[token]))
        html = response.content.decode()
        assert response.status_code == 404, label
        assert "This link does not work" in html, label
        assert "Harbour Light" not in html, label
        assert_public_page(response)
    subscriber.refresh_from_db()
    assert (subscriber.status, subscriber.confirmed_at, subscriber.unsubscribed_at) == (
        SubscriberStatus.PENDING,
        None,
        None,
    )


# --- Preferences -------------------------------------------------------------------------------------------------


def test_the_preferences_page_shows_the_newsletter_and_changes_nothing_on_get(client, sam):
    response = client.get(preferences_url(sam))
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="id_newsletter" value="on" checked' in html
    assert '<label for="id_newsletter">The Harbour Light newsletter</label>' in html
    assert "csrfmiddlewaretoken" not in html
    assert_public_page(response)
    sam.refresh_from_db()
    assert sam.status == SubscriberStatus.CONFIRMED


def test_unticking_the_newsletter_on_the_preferences_page_unsubscribes(sam):
    browser = Client(enforce_csrf_checks=True)
    page = browser.get(preferences_url(sam)).content.decode()
    assert "Newsletter" in page or "newsletter" in page
    response = browser.post(preferences_url(sam), {}, HTTP_ORIGIN="null")
    html = response.content.decode()
    assert response.status_code == 200
    assert "Your choices are saved." in html
    assert "You do not receive the Harbour Light newsletter." in html
    assert_public_page(response)
    sam.refresh_from_db()
    assert sam.status == SubscriberStatus.UNSUBSCRIBED


def test_keeping_the_newsletter_ticked_keeps_the_subscription(client, sam):
    client.post(preferences_url(sam), {"newsletter": "on"})
    sam.refresh_from_db()
    assert sam.status == SubscriberStatus.CONFIRMED


def test_saving_preferences_needs_the_token(sam):
    response = Client(enforce_csrf_checks=True).post("/newsletter/preferences/forged/", {}, HTTP_ORIGIN="null")
    assert response.status_code == 404
    sam.refresh_from_db()
    assert sam.status == SubscriberStatus.CONFIRMED


def test_the_clients_app_registers_its_channels_on_the_preferences_page():
    from clients.preferences import client_channels

    assert list(PREFERENCE_PROVIDERS) == [client_channels]


def test_a_registered_preference_provider_adds_its_boxes_and_receives_the_choices(client, sam, monkeypatch):
    calls: list[tuple] = []

    class Reminders:
        def checkboxes(self, *, practice, email):
            return [PreferenceCheckbox(name="reminders", label=f"Reminders for {email}", checked=False)]

        def save(self, *, practice, email, ticked):
            calls.append((practice, email, ticked))

    monkeypatch.setattr(subscriptions, "PREFERENCE_PROVIDERS", [])
    subscriptions.register_preference_provider(Reminders())
    html = client.get(preferences_url(sam)).content.decode()
    assert '<label for="id_reminders">Reminders for sam@example.org</label>' in html
    client.post(preferences_url(sam), {"newsletter": "on", "reminders": "on"})
    assert calls == [(sam.practice, "sam@example.org", {"newsletter", "reminders"})]


# --- The embeddable form ---------------------------------------------------------------------------------------


def test_the_embed_page_shows_a_ready_to_paste_form_that_posts_to_the_subscribe_page(client, harbour):
    response = client.get(reverse("newsletter:embed", args=[harbour.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    assert_public_page(response)
    snippet = re.search(r'<textarea id="snippet"[^>]*>(.*?)</textarea>', html, re.S).group(1)
    assert "<form" not in snippet, "the snippet is shown as text, not as a live form"
    assert (
        f"&lt;form action=&quot;http://127.0.0.1:8000/newsletter/{harbour.pk}/subscribe/&quot; method=&quot;post&quot;"
    ) in snippet
    assert CONSENT in snippet
    assert "hidden aria-hidden=&quot;true&quot;" in snippet
    assert "tabindex=&quot;-1&quot; autocomplete=&quot;off&quot;" in snippet
    assert "<script" not in snippet and "&lt;script" not in snippet
    assert "style=" not in snippet


def test_the_embedded_form_posts_from_another_site_without_a_csrf_token(harbour, django_capture_on_commit_callbacks):
    practice_website = Client(enforce_csrf_checks=True, HTTP_ORIGIN="https://harbour-light.example")
    with django_capture_on_commit_callbacks(execute=True):
        response = practice_website.post(
            subscribe_url(harbour),
            {"via": "embed", "name": "", "email": "web@example.org", "consent": "yes", "website": ""},
        )
    assert response.status_code == 303
    subscriber = Subscriber.objects.get()
    assert (subscriber.email, subscriber.source, subscriber.consent_text) == (
        "web@example.org",
        "embedded form",
        CONSENT,
    )
    assert len(mail.outbox) == 1


# --- Headers on every page ---------------------------------------------------------------------------------------


def test_every_public_response_is_private_and_referrer_free(client, harbour, make_subscriber):
    pending = make_subscriber("p@example.org", SubscriberStatus.PENDING)
    confirmed = make_subscriber("c@example.org", SubscriberStatus.CONFIRMED)
    responses = {
        "subscribe": client.get(subscribe_url(harbour)),
        "subscribe accepted": subscribe(client, harbour),
        "subscribe invalid": subscribe(client, harbour, email="nope"),
        "thanks": client.get(reverse("newsletter:subscribe_thanks", args=[harbour.pk])),
        "embed": client.get(reverse("newsletter:embed", args=[harbour.pk])),
        "confirm": client.get(confirm_url(pending)),
        "confirmed": client.post(confirm_url(pending)),
        "preferences": client.get(preferences_url(confirmed)),
        "preferences saved": client.post(preferences_url(confirmed), {"newsletter": "on"}),
        "unsubscribe": client.get(unsubscribe_url(confirmed)),
        "unsubscribed": client.post(unsubscribe_url(confirmed)),
        "bad link": client.get(reverse("newsletter:unsubscribe", args=["nope"])),
        "wrong method": client.put(unsubscribe_url(confirmed)),
    }
    assert {name: r.status_code for name, r in responses.items()} == {
        "subscribe": 200,
        "subscribe accepted": 303,
        "subscribe invalid": 200,
        "thanks": 200,
        "embed": 200,
        "confirm": 200,
        "confirmed": 200,
        "preferences": 200,
        "preferences saved": 200,
        "unsubscribe": 200,
        "unsubscribed": 200,
        "bad link": 404,
        "wrong method": 405,
    }
    for name, response in responses.items():
        assert "no-store" in response["Cache-Control"], name
        assert response["Referrer-Policy"] == "no-referrer", name
        if response.status_code in (200, 404):
            assert_public_page(response)


# --- Hostile input -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"email": XSS}, "Please enter a complete email address"),
        ({"email": "sam@example.org\r\nBcc: victim@example.org"}, "Please enter a complete email address"),
        ({"email": "sam@example.org\nBcc: victim@example.org"}, "Please enter a complete email address"),
        ({"email": "sam\x00@example.org"}, "Null characters are not allowed."),
        ({"name": "Sam\x00Rivers"}, "Null characters are not allowed."),
        ({"name": "S" * 10_000}, "Please keep your name to 200 characters or fewer."),
        ({"email": "a" * 10_000 + "@example.org"}, "at most 254 characters"),
        ({"name": XSS, "email": "not an address"}, "Please enter a complete email address"),
    ],
    ids=["xss email", "crlf email", "lf email", "null email", "null name", "10k name", "10k email", "xss name"],
)
def test_hostile_input_is_refused_calmly_escaped_and_not_stored(
    client, harbour, fields, message, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = subscribe(client, harbour, **fields)
    html = response.content.decode()
    assert response.status_code == 200
    assert message in html
    assert "<script" not in html and "<img" not in html
    assert nothing_stored()
    assert mail.outbox == []


def test_a_hostile_name_with_a_valid_address_is_stored_as_text_and_never_rendered(
    client, harbour, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = subscribe(client, harbour, name=XSS)
    assert response.status_code == 303
    assert Subscriber.objects.get().name == XSS
    [message] = mail.outbox
    assert "alert" not in message.body and "alert" not in message.alternatives[0][0]


def test_a_hostile_practice_name_is_escaped_on_every_page(client, make_practice):
    practice = make_practice(name='Evil <script>alert("x")</script> & Co')
    subscriber = Subscriber.objects.create(practice=practice, email="v@example.org", status=SubscriberStatus.CONFIRMED)
    for url in [
        subscribe_url(practice),
        reverse("newsletter:embed", args=[practice.pk]),
        unsubscribe_url(subscriber),
        preferences_url(subscriber),
    ]:
        html = client.get(url).content.decode()
        assert "<script" not in html, url
        assert "Evil &lt;script&gt;" in html or "Evil &amp;lt;script&amp;gt;" in html, url


# --- Services ----------------------------------------------------------------------------------------------------


def test_a_consenting_client_becomes_a_confirmed_subscriber_without_an_email(
    harbour, cara, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        subscriber = subscriber_from_client_consent(
            practice=harbour, email="Cara.Whitfield@Example.net", name="Cara", given=True
        )
    subscriber.refresh_from_db()
    assert subscriber.email == "cara.whitfield@example.net"
    assert (subscriber.status, subscriber.source, subscriber.name) == (
        SubscriberStatus.CONFIRMED,
        "client record",
        "Cara",
    )
    assert subscriber.confirmed_at is not None and subscriber.consent_at is not None
    assert subscriber.consent_text
    assert not OutboundEmail.objects.exists()
    assert mail.outbox == []


def test_a_client_withdrawing_consent_is_unsubscribed(harbour, sam):
    result = subscriber_from_client_consent(practice=harbour, email="SAM@example.org", name="", given=False)
    sam.refresh_from_db()
    assert result == sam
    assert sam.status == SubscriberStatus.UNSUBSCRIBED
    assert not Suppression.objects.exists()


def test_withdrawing_consent_for_an_unknown_address_stores_nothing(harbour):
    assert subscriber_from_client_consent(practice=harbour, email="new@example.org", name="", given=False) is None
    assert not Subscriber.objects.exists()


def test_a_pending_subscriber_whose_client_record_gives_consent_is_confirmed(harbour, make_subscriber):
    pending = make_subscriber(status=SubscriberStatus.PENDING)
    subscriber_from_client_consent(practice=harbour, email=pending.email, name="", given=True)
    pending.refresh_from_db()
    assert pending.status == SubscriberStatus.CONFIRMED


def test_confirming_an_unsubscribed_subscriber_does_nothing(make_subscriber):
    subscriber = make_subscriber(status=SubscriberStatus.UNSUBSCRIBED)
    assert subscriber_confirm(subscriber=subscriber) is False
    subscriber.refresh_from_db()
    assert subscriber.status == SubscriberStatus.UNSUBSCRIBED


def test_unsubscribing_a_bounced_subscriber_keeps_the_bounce(make_subscriber):
    subscriber = make_subscriber(status=SubscriberStatus.BOUNCED)
    subscriber_unsubscribe(subscriber=subscriber, source="test")
    subscriber.refresh_from_db()
    assert subscriber.status == SubscriberStatus.BOUNCED


def test_subscribers_of_one_practice_do_not_touch_another(client, harbour, elsewhere, sam):
    subscribe(client, elsewhere, email="sam@example.org")
    assert Subscriber.objects.filter(practice=elsewhere, status=SubscriberStatus.PENDING).count() == 1
    sam.refresh_from_db()
    assert sam.status == SubscriberStatus.CONFIRMED
