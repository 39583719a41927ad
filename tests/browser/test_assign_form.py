"""The assign form: laid out as the admin's own forms; the repeat fields show only once "Repeat it" is ticked;
without script all of them show."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from clients.models import Client

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_repeat_fields_show_when_repeat_is_ticked(
    page, live_server, sign_in, bundled_questionnaire, demo, screenshot
):
    fiona = Client.objects.get(first_name="Fiona")
    sign_in("uma@demo", "tandem-demo-uma")
    page.goto(f"{live_server.url}/admin/clients/client/assign/?ids={fiona.pk}")
    expect(page.get_by_label("Every (weeks)")).to_be_hidden()
    expect(page.get_by_label("At most (times)")).to_be_hidden()
    screenshot("without-repeat")
    page.get_by_label("Repeat it").check()
    expect(page.get_by_label("Every (weeks)")).to_be_visible()
    expect(page.get_by_label("At most (times)")).to_be_visible()
    screenshot("with-repeat")
    page.get_by_label("Repeat it").uncheck()
    expect(page.get_by_label("Every (weeks)")).to_be_hidden()


def test_without_javascript_every_field_shows(chromium, live_server, bundled_questionnaire, demo):
    fiona = Client.objects.get(first_name="Fiona")
    context = chromium.new_context(java_script_enabled=False, locale="en-GB")
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/admin/")
        page.get_by_label("Username").fill("uma@demo")
        page.get_by_label("Password").fill("tandem-demo-uma")
        page.get_by_role("button", name="Log in").click()
        page.goto(f"{live_server.url}/admin/clients/client/assign/?ids={fiona.pk}")
        expect(page.get_by_label("Every (weeks)")).to_be_visible()
    finally:
        context.close()


@pytest.mark.parametrize(
    "path", ["/admin/clients/client/assign/?ids={fiona}", "/admin/clients/couple/{couple}/assign/"]
)
def test_the_assign_forms_are_laid_out_as_the_admins_own(page, live_server, sign_in, bundled_questionnaire, demo, path):
    """Labels in a column on the left, each field beside its label (the admin's forms.css), as on a change form."""
    from clients.couples.models import Couple

    fiona = Client.objects.get(first_name="Fiona")
    couple = Couple.objects.first()
    sign_in("tess@demo", "tandem-demo-tess")
    page.goto(live_server.url + path.format(fiona=fiona.pk, couple=couple.pk))
    label = page.locator("label[for=id_expires_in_days]").bounding_box()
    field = page.locator("#id_expires_in_days").bounding_box()
    assert label["x"] + label["width"] <= field["x"], (label, field)  # beside, not above
    assert abs(label["y"] - field["y"]) < field["height"], (label, field)  # on the same row
    # One column of labels and one of fields, whatever each label's length.
    assert page.locator("label[for=id_message]").bounding_box()["x"] == label["x"]
    assert page.locator("#id_message").bounding_box()["x"] == field["x"]
