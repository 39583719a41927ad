"""Staff sign-in takes a second factor: enrolment on first sign-in, then a code every session."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.conf import settings
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

VERIFY = reverse("two_factor:verify")
SETUP = reverse("two_factor:setup")
ADMIN = reverse("admin:index")


def current_code(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, step=device.step, digits=device.digits):06d}"


def sign_in_with_password(client, user) -> None:
    response = client.post(
        reverse("admin:login"), {"username": user.username, "password": PASSWORD, "next": ADMIN}, secure=True
    )
    assert response.status_code == 302, response.content.decode()[:500]
    assert response["Location"] == ADMIN
    assert client.session["_auth_user_id"] == str(user.pk)
    assert DEVICE_ID_SESSION_KEY not in client.session


def assert_verified(client, device) -> None:
    """The session carries the device it verified with, and the admin answers."""
    assert client.session[DEVICE_ID_SESSION_KEY] == device.persistent_id
    assert client.get(ADMIN, secure=True).status_code == 200


def assert_signed_in_but_unverified(client, user) -> None:
    """Still signed in (not thrown back to the password), but the admin sends the session to verification."""
    assert client.session["_auth_user_id"] == str(user.pk)
    assert DEVICE_ID_SESSION_KEY not in client.session
    response = client.get(ADMIN, secure=True)
    assert response.status_code == 302 and response["Location"] == f"{VERIFY}?next=%2Fadmin%2F"


def open_enrolment_link(client, user) -> None:
    """Ask for an enrolment link as the page does, and open it as the emailed copy would be (minted at send)."""
    from practice.accounts.enrolment import enrolment_link_issue, mint_for_email

    link, printed = enrolment_link_issue(user=user)
    url = printed or mint_for_email(link.pk)
    response = client.get(url.removeprefix(settings.TANDEM_SITE_URL), secure=True)
    assert response.status_code == 302 and response["Location"] == SETUP


@pytest.fixture
def enrolled(tess) -> TOTPDevice:
    return TOTPDevice.objects.create(user=tess, name="phone", confirmed=True)


def test_an_unverified_staff_session_is_refused_by_the_admin(production, client, tess, enrolled):
    sign_in_with_password(client, tess)
    for path in (ADMIN, reverse("admin:clients_client_changelist"), reverse("admin:practice_practice_changelist")):
        response = client.get(path, secure=True)
        assert response.status_code == 302
        assert response["Location"].startswith(VERIFY + "?next=")
    assert client.post(reverse("admin:practice_practice_add"), {}, secure=True).status_code == 403


def test_an_unverified_staff_session_gets_no_api(production, client, tess, enrolled):
    sign_in_with_password(client, tess)
    response = client.get(reverse("api:schema"), secure=True)
    assert response.status_code == 403
    assert response.json() == {"detail": "Two-factor verification is required."}


def test_first_sign_in_goes_to_enrolment_which_asks_for_the_emailed_link(production, client, tess):
    sign_in_with_password(client, tess)
    response = client.get(ADMIN, secure=True, follow=True)
    assert SETUP in response.redirect_chain[-1][0]
    page = response.content.decode()
    assert "Email me a link" in page and "otpauth://" not in page
    assert not TOTPDevice.objects.filter(user=tess).exists()
    open_enrolment_link(client, tess)
    page = client.get(SETUP, secure=True).content.decode()
    assert "<svg width=" in page and "otpauth://totp/Tandem%3Atess?secret=" in page


def test_enrolment_then_backup_codes_then_the_admin(production, client, tess):
    production.OTP_TOTP_THROTTLE_FACTOR = 0
    sign_in_with_password(client, tess)
    open_enrolment_link(client, tess)
    client.get(SETUP, secure=True)
    device = TOTPDevice.objects.get(user=tess, confirmed=False)
    wrong = client.post(SETUP, {"token": "000000" if current_code(device) != "000000" else "111111"}, secure=True)
    assert wrong.status_code == 200 and "did not work" in wrong.content.decode()

    response = client.post(SETUP + "?next=/admin/clients/client/", {"token": current_code(device)}, secure=True)
    assert response.status_code == 302
    assert response["Location"] == reverse("two_factor:backup_codes") + "?next=%2Fadmin%2Fclients%2Fclient%2F"
    codes_page = client.get(response["Location"], secure=True).content.decode()
    codes = re.findall(r"<li><code>([a-z2-7]{8})</code></li>", codes_page)
    assert len(codes) == 10
    assert set(StaticDevice.objects.get(user=tess).token_set.values_list("token", flat=True)) == set(codes)
    assert 'href="/admin/clients/client/"' in codes_page
    assert_verified(client, device)
    device.refresh_from_db()
    assert device.confirmed
    # shown once only
    assert "<code>" not in client.get(reverse("two_factor:backup_codes"), secure=True).content.decode()


def test_a_password_alone_cannot_enrol_a_second_device(production, client, tess, enrolled):
    sign_in_with_password(client, tess)
    response = client.get(SETUP, secure=True)
    assert response.status_code == 302 and response["Location"].startswith(VERIFY)
    assert TOTPDevice.objects.filter(user=tess).count() == 1


def test_a_code_from_the_app_verifies_the_session(production, client, tess, enrolled):
    sign_in_with_password(client, tess)
    response = client.post(VERIFY + "?next=/admin/clients/client/", {"token": current_code(enrolled)}, secure=True)
    assert response.status_code == 302 and response["Location"] == "/admin/clients/client/"
    assert_verified(client, enrolled)


def test_a_wrong_code_is_refused(production, client, tess, enrolled):
    sign_in_with_password(client, tess)
    response = client.post(VERIFY, {"token": "12345x"}, secure=True)
    assert response.status_code == 200 and "did not work" in response.content.decode()
    assert_signed_in_but_unverified(client, tess)


def test_one_wrong_code_reads_as_wrong_not_as_too_many(production, client, tess, enrolled):
    """The wrong code itself starts django-otp's wait; that must not make the first mistake read as many."""
    sign_in_with_password(client, tess)
    wrong = "000000" if current_code(enrolled) != "000000" else "111111"
    response = client.post(VERIFY, {"token": wrong}, secure=True)
    assert "did not work" in response.content.decode() and "Too many" not in response.content.decode()
    StaticDevice.objects.create(user=tess, name="Backup codes").token_set.create(token="abcd2345")
    response = client.post(VERIFY, {"token": "wxyz6789"}, secure=True)  # a wrong backup code
    assert "did not work" in response.content.decode() and "Too many" not in response.content.decode()


def test_wrong_codes_are_throttled(production, client, tess, enrolled):
    sign_in_with_password(client, tess)
    client.post(VERIFY, {"token": "000000" if current_code(enrolled) != "000000" else "111111"}, secure=True)
    response = client.post(VERIFY, {"token": current_code(enrolled)}, secure=True)
    assert response.status_code == 200 and "Too many wrong codes" in response.content.decode()
    assert_signed_in_but_unverified(client, tess)


def test_a_backup_code_works_once(production, client, tess, enrolled):
    device = StaticDevice.objects.create(user=tess, name="Backup codes")
    device.token_set.create(token="abcd2345")
    sign_in_with_password(client, tess)
    response = client.post(VERIFY, {"token": "ABCD 2345"}, secure=True)
    assert response.status_code == 302 and response["Location"] == ADMIN
    assert_verified(client, device)

    client.post(reverse("admin:logout"), secure=True)
    sign_in_with_password(client, tess)
    response = client.post(VERIFY, {"token": "abcd2345"}, secure=True)
    assert response.status_code == 200 and 'id="id_token_error"' in response.content.decode()
    assert_signed_in_but_unverified(client, tess)


def test_verification_belongs_to_one_session(production, client, tess, enrolled):
    from django.test import Client

    sign_in_with_password(client, tess)
    client.post(VERIFY, {"token": current_code(enrolled)}, secure=True)
    assert_verified(client, enrolled)
    other = Client()
    sign_in_with_password(other, tess)
    assert_signed_in_but_unverified(other, tess)


def test_the_demo_setting_lets_staff_in_without_a_second_factor(client, settings, tess):
    settings.TANDEM_REQUIRE_2FA = False
    sign_in_with_password(client, tess)
    response = client.get(ADMIN)
    assert response.status_code == 200 and reverse("admin:clients_client_changelist") in response.content.decode()


def test_public_pages_and_logout_stay_open_to_an_unverified_session(production, client, tess, harbour, enrolled):
    sign_in_with_password(client, tess)
    assert client.get(f"/newsletter/{harbour.pk}/subscribe/", secure=True).status_code == 200
    assert client.get("/health/", secure=True).status_code == 200
    assert client.post(reverse("admin:logout"), secure=True).status_code == 200
    assert "_auth_user_id" not in client.session
    assert client.get(ADMIN, secure=True)["Location"].startswith(reverse("admin:login"))


def test_the_two_factor_pages_need_a_signed_in_staff_member(client, production):
    response = client.get(SETUP, secure=True)
    assert response.status_code == 302 and response["Location"].startswith(reverse("admin:login"))


def test_a_verified_session_can_replace_its_backup_codes(production, client, tess, enrolled):
    old = StaticDevice.objects.create(user=tess, name="Backup codes")
    old.token_set.create(token="oldcode2")
    sign_in_with_password(client, tess)
    client.post(VERIFY, {"token": current_code(enrolled)}, secure=True)
    assert_verified(client, enrolled)
    assert reverse("two_factor:backup_codes") in client.get(ADMIN, secure=True).content.decode()
    response = client.post(reverse("two_factor:backup_codes"), secure=True)
    assert response.status_code == 302 and response["Location"].startswith(reverse("two_factor:backup_codes"))
    page = client.get(response["Location"], secure=True).content.decode()
    codes = re.findall(r"<li><code>([a-z2-7]{8})</code></li>", page)
    assert len(codes) == 10 and "oldcode2" not in codes
    assert not StaticDevice.objects.get(user=tess).token_set.filter(token="oldcode2").exists()


def test_an_unverified_session_cannot_make_backup_codes(production, client, tess, enrolled):
    sign_in_with_password(client, tess)
    response = client.post(reverse("two_factor:backup_codes"), secure=True)
    assert response.status_code == 302 and response["Location"].startswith(VERIFY)
    assert not StaticDevice.objects.filter(user=tess).exists()


@pytest.mark.parametrize("page", ["config", "qrcode"])
def test_an_unknown_device_in_the_admin_is_a_404_not_a_server_error(admin_client, tess, page):
    known = TOTPDevice.objects.create(user=tess, name="phone", confirmed=True)
    assert admin_client.get(f"/admin/otp_totp/totpdevice/{known.pk}/{page}/").status_code == 200
    assert admin_client.get(f"/admin/otp_totp/totpdevice/{known.pk + 999}/{page}/").status_code == 404


# --- enrolment needs the emailed link -----------------------------------------------------------------------


def test_enrolment_without_the_emailed_link_is_refused(production, client, tess):
    sign_in_with_password(client, tess)
    assert "otpauth://" not in client.get(SETUP, secure=True).content.decode()
    refused = client.post(SETUP, {"token": "123456"}, secure=True)
    assert refused.status_code == 403
    assert not TOTPDevice.objects.filter(user=tess, confirmed=True).exists()
    assert DEVICE_ID_SESSION_KEY not in client.session


def test_asking_for_a_link_emails_it_to_the_account_and_no_stored_row_holds_it(production, client, tess):
    from django.db import connection

    from practice.mail import outbox
    from practice.mail.models import OutboundEmail

    sign_in_with_password(client, tess)
    page = client.post(reverse("two_factor:enrolment_request"), secure=True)
    assert page.status_code == 200 and "We have emailed you a link" in page.content.decode()
    row = OutboundEmail.objects.get(to_email=tess.email)
    assert outbox.LINK_PLACEHOLDER in row.body_text
    text, _html, _headers = outbox.personalised(row)  # what the mail server receives
    url = next(word for word in text.split() if "/admin/two-factor/enrol/" in word)
    raw = url.rstrip("/").rsplit("/", 1)[1]
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f'SELECT * FROM "{table}"')  # noqa: S608 - table names from introspection
            for stored in cursor.fetchall():
                assert not any(raw in str(value) for value in stored), f"the enrolment key is stored in {table}"
    assert client.get(url.removeprefix(settings.TANDEM_SITE_URL), secure=True)["Location"] == SETUP


def test_the_link_works_once_for_its_own_account_for_a_day(production, client, tess, uma):
    import time_machine
    from django.test import Client
    from django.utils import timezone

    from practice.accounts.enrolment import enrolment_link_issue, mint_for_email

    link, _printed = enrolment_link_issue(user=tess)
    path = mint_for_email(link.pk).removeprefix(settings.TANDEM_SITE_URL)
    other = Client()
    sign_in_with_password(other, uma)
    assert other.get(path, secure=True).status_code == 404  # Uma cannot use Tess's link
    assert Client().get(path, secure=True)["Location"].startswith(reverse("admin:login"))
    with time_machine.travel(timezone.now() + timedelta(hours=25)):
        sign_in_with_password(client, tess)
        assert client.get(path, secure=True).status_code == 404
    production.OTP_TOTP_THROTTLE_FACTOR = 0
    sign_in_with_password(client, tess)
    assert client.get(path, secure=True).status_code == 302
    client.get(SETUP, secure=True)
    device = TOTPDevice.objects.get(user=tess, confirmed=False)
    assert client.post(SETUP, {"token": current_code(device)}, secure=True).status_code == 302
    TOTPDevice.objects.filter(user=tess).delete()  # a lost phone: enrolling again needs a new link
    again = Client()
    sign_in_with_password(again, tess)
    assert again.get(path, secure=True).status_code == 404


def test_the_server_command_prints_a_link_for_an_account_with_no_practice(production, client, django_user_model):
    from io import StringIO

    from django.core.management import call_command

    root = django_user_model.objects.create_superuser("root", "root@example.org", PASSWORD)
    printed = StringIO()
    call_command("enrolment_link", "root", stdout=printed)
    sign_in_with_password(client, root)
    response = client.get(printed.getvalue().strip().removeprefix(settings.TANDEM_SITE_URL), secure=True)
    assert response.status_code == 302 and response["Location"] == SETUP


def test_an_owner_sends_a_colleague_a_link_to_the_colleagues_own_address(tess, uma, otto):
    from django.test import Client

    from practice.accounts.models import EnrolmentLink
    from practice.mail.models import OutboundEmail

    owner = Client()
    owner.force_login(tess)
    response = owner.post(reverse("admin:accounts_enrolmentlink_add"), {"user": uma.pk})
    assert response.status_code == 302, response.content.decode()[:300]
    link = EnrolmentLink.objects.get(user=uma)
    assert link.issued_by == tess
    assert OutboundEmail.objects.filter(to_email=uma.email, personalise_id=link.pk).exists()
    assert not OutboundEmail.objects.filter(to_email=tess.email).exists()
    outsider = Client()
    outsider.force_login(otto)  # another practice's therapist: no such page for them
    assert outsider.post(reverse("admin:accounts_enrolmentlink_add"), {"user": uma.pk}).status_code == 403
    therapist = Client()
    therapist.force_login(uma)
    assert therapist.get(reverse("admin:accounts_enrolmentlink_changelist")).status_code == 403


def test_an_owner_cannot_send_a_link_to_someone_outside_the_practice(tess, otto, make_staff, elsewhere):
    from django.test import Client

    from practice.accounts.models import EnrolmentLink
    from practice.models import Role

    other_owner = make_staff("olive", elsewhere, Role.OWNER)
    owner = Client()
    owner.force_login(other_owner)
    response = owner.post(reverse("admin:accounts_enrolmentlink_add"), {"user": tess.pk})
    assert response.status_code == 200 and not EnrolmentLink.objects.exists()  # not a choice she has
