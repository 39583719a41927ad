"""A therapist signs in to the admin in a real browser and sees only their own clients."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_therapist_signs_in_and_sees_only_their_clients(page, live_server, demo, sign_in, screenshot):
    sign_in("uma@demo", "tandem-demo-uma")
    screenshot("1-admin-index")
    page.locator("#content-main tr.model-client a", has_text="Clients").click()
    page.wait_for_url("**/admin/clients/client/")
    rows = page.locator("#result_list tbody tr")
    names = sorted(rows.locator("th").all_inner_texts())
    screenshot("2-client-list")
    assert names == ["Fi Lund", "Helena Sato", "Marcus Bell"]
    assert "Whitfield" not in page.content()


def test_the_owner_sees_the_whole_practice(page, live_server, demo, sign_in, screenshot):
    sign_in("tess@demo", "tandem-demo-tess")
    page.goto(f"{live_server.url}/admin/clients/client/")
    names = page.locator("#result_list tbody tr th").all_inner_texts()
    screenshot("client-list")
    assert len(names) == 7
    assert "Cara Whitfield" in names and "Fi Lund" in names


def test_a_wrong_password_is_refused_with_a_message(page, live_server, demo):
    page.goto(f"{live_server.url}/admin/")
    page.get_by_label("Username").fill("uma@demo")
    page.get_by_label("Password").fill("not-her-password")
    page.get_by_role("button", name="Log in").click()
    assert page.get_by_text("Please enter the correct username and password").is_visible()
    assert "/admin/login/" in page.url
    page.goto(f"{live_server.url}/admin/clients/client/")  # not signed in: the admin still asks for the password
    assert "/admin/login/" in page.url and page.get_by_label("Password").is_visible()
