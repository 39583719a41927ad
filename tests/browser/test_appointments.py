"""A therapist books, finds and cancels an appointment in a real browser; the client is emailed each time."""

from __future__ import annotations

import datetime

import pytest

from clients.models import Appointment, AppointmentStatus, Channel, Client
from clients.services import consent_set
from practice.mail.models import OutboundEmail

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_therapist_books_and_cancels_an_appointment(demo, sign_in, live_server, screenshot):
    cara = Client.objects.get(first_name="Cara", last_name="Whitfield")
    consent_set(client=cara, channel=Channel.APPOINTMENT_REMINDERS, given=True, source="test")
    page = sign_in("tess@demo", "tandem-demo-tess")

    page.goto(f"{live_server.url}/admin/clients/appointment/add/")
    assert page.get_by_text("In the practice's time zone (Europe/London).").is_visible()
    page.locator(".field-client .select2-selection").click()  # the scoped autocomplete
    page.locator(".select2-search__field").fill("Whit")
    page.get_by_role("option", name="Cara Whitfield").click()
    page.locator("#id_starts_at_0").fill("2030-06-03")
    page.locator("#id_starts_at_1").fill("09:00")
    page.get_by_label("Location").fill("Room 2")
    page.get_by_role("button", name="Save and continue editing").click()
    page.wait_for_selector("text=was added successfully")
    screenshot("1-booked")
    appointment = Appointment.objects.get(client=cara, starts_at__year=2030)  # the demo's diary has others
    assert appointment.starts_at == datetime.datetime(2030, 6, 3, 8, 0, tzinfo=datetime.UTC)  # 09:00 BST

    page.get_by_role("button", name="Cancel the appointment").click()
    page.wait_for_selector("text=The appointment is cancelled.")
    screenshot("2-cancelled")
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.CANCELLED
    keys = set(OutboundEmail.objects.filter(personalise_id=appointment.pk).values_list("idempotency_key", flat=True))
    assert keys == {f"appointment:{appointment.pk}:booked", f"appointment:{appointment.pk}:cancelled"}

    page.goto(f"{live_server.url}/admin/clients/appointment/")
    page.get_by_role("link", name="Upcoming").first.click()
    page.wait_for_url("**/?when=upcoming")
    row = page.locator("#result_list tbody tr")
    row.first.wait_for()
    cancelled = row.filter(has_text="Cancelled")
    assert cancelled.count() == 1
    assert "Cara Whitfield" in cancelled.inner_text() and "3 Jun 2030" in cancelled.inner_text()
    screenshot("3-upcoming")


def test_a_time_the_clocks_repeat_asks_which_one_and_a_time_they_skip_is_refused(
    demo, sign_in, live_server, screenshot
):
    """27 October 2030: 01:30 happens twice in London; 31 March 2030: 01:30 does not happen at all."""
    cara = Client.objects.get(first_name="Cara", last_name="Whitfield")
    page = sign_in("tess@demo", "tandem-demo-tess")
    page.goto(f"{live_server.url}/admin/clients/appointment/add/")
    assert not page.get_by_text("Which one").is_visible()  # no choice on an ordinary day
    page.locator(".field-client .select2-selection").click()
    page.locator(".select2-search__field").fill("Whit")
    page.get_by_role("option", name="Cara Whitfield").click()
    page.locator("#id_starts_at_0").fill("2030-03-31")
    page.locator("#id_starts_at_1").fill("01:30")
    page.get_by_role("button", name="Save and continue editing").click()
    page.wait_for_selector("text=The clocks go forward from 01:00 to 02:00 on Sunday 31 March 2030")
    assert page.get_by_text("00:30 GMT (+00:00) and 02:30 BST (+01:00)").is_visible()
    screenshot("4-the-gap")

    page.locator("#id_starts_at_0").fill("2030-10-27")
    page.locator("#id_starts_at_1").fill("01:30")
    page.get_by_role("button", name="Save and continue editing").click()
    page.wait_for_selector("text=01:30 on Sunday 27 October 2030 happens twice")
    screenshot("5-which-one")
    page.get_by_label("The second 01:30 GMT (+00:00)").check()
    page.get_by_role("button", name="Save and continue editing").click()
    page.wait_for_selector("text=was added successfully")
    appointment = Appointment.objects.get(client=cara, starts_at__year=2030, starts_at__month=10)
    assert appointment.starts_at == datetime.datetime(2030, 10, 27, 1, 30, tzinfo=datetime.UTC)
    assert appointment.ends_at == datetime.datetime(2030, 10, 27, 2, 20, tzinfo=datetime.UTC)
