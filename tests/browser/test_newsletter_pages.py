"""A person subscribes, confirms and unsubscribes on a phone-sized screen in a real browser."""

from __future__ import annotations

import re

import pytest
from django.core import mail

from practice.newsletter.models import Subscriber, SubscriberStatus

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def phone(chromium):
    context = chromium.new_context(viewport={"width": 360, "height": 740}, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def link_in(message, path: str) -> str:
    return re.search(rf"https?://\S+{path}\S+/", message.body).group(0)


def test_subscribe_confirm_and_unsubscribe_on_a_phone(phone, live_server, make_practice, settings, screenshot):
    settings.TANDEM_SITE_URL = live_server.url
    practice = make_practice("Harbour Light")
    phone.goto(f"{live_server.url}/newsletter/{practice.pk}/subscribe/")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360  # no sideways scrolling
    phone.get_by_role("button", name="Subscribe").click()
    assert phone.get_by_role("alert").is_visible()  # errors summarised, nothing stored
    assert not Subscriber.objects.exists()
    phone.get_by_role("textbox", name="Your email address").fill("reader@example.net")
    phone.get_by_label(re.compile("I would like to receive")).check()
    screenshot("1-subscribe", on=phone)
    phone.get_by_role("button", name="Subscribe").click()
    phone.wait_for_url("**/thanks/")
    screenshot("2-check-your-inbox", on=phone)
    [confirmation] = mail.outbox
    phone.goto(link_in(confirmation, "/newsletter/confirm/"))
    assert Subscriber.objects.get().status == SubscriberStatus.PENDING  # opening the link confirms nothing
    phone.get_by_role("button", name="Confirm my subscription").click()
    phone.wait_for_load_state()
    screenshot("3-confirmed", on=phone)
    assert Subscriber.objects.get().status == SubscriberStatus.CONFIRMED
    from practice.newsletter.tokens import unsubscribe_token

    phone.goto(f"{live_server.url}/newsletter/unsubscribe/{unsubscribe_token(Subscriber.objects.get().pk)}/")
    phone.get_by_role("button", name="Unsubscribe").click()
    phone.wait_for_load_state()
    screenshot("4-unsubscribed", on=phone)
    assert Subscriber.objects.get().status == SubscriberStatus.UNSUBSCRIBED
