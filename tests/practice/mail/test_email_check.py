"""The practice's test email: queued from the admin with ids only, rendered on the branding."""

from __future__ import annotations

from django.core import mail
from django.urls import reverse

from practice.mail.models import EmailStatus, OutboundEmail
from practice.mail.tasks import drain_outbox


def test_the_admin_action_queues_and_sends_a_branded_test_email(
    client, tess, harbour, django_capture_on_commit_callbacks
):
    client.force_login(tess)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(
            reverse("admin:practice_practice_changelist"),
            {"action": "send_email_check", "_selected_action": [harbour.pk]},
            follow=True,
        )
    assert len(callbacks) == 1
    assert "A test email is on its way to tess@example.org" in response.content.decode()
    [message] = mail.outbox
    assert message.to == ["tess@example.org"]
    assert message.from_email == f"Harbour Light <{harbour.sender_email}>"
    assert message.subject == "Test email from Harbour Light"
    assert "Hello Tess" in message.body
    assert "High Street" in message.body  # postal address in the footer
    [(html, mimetype)] = message.alternatives
    assert mimetype == "text/html"
    assert "Harbour Light" in html


def test_the_queued_task_carries_no_personal_data(
    client, tess, harbour, django_capture_on_commit_callbacks, monkeypatch
):
    sent: list[tuple] = []
    monkeypatch.setattr(drain_outbox, "delay", lambda *args, **kwargs: sent.append((args, kwargs)))
    client.force_login(tess)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("admin:practice_practice_changelist"),
            {"action": "send_email_check", "_selected_action": [harbour.pk]},
        )
    assert sent == [((), {})]
    row = OutboundEmail.objects.get()
    assert (row.to_email, row.status, row.kind) == ("tess@example.org", EmailStatus.PENDING, "email_check")


def test_nothing_is_queued_when_the_transaction_rolls_back(tess, harbour, django_capture_on_commit_callbacks):
    from django.db import transaction

    from practice.mail.emails import email_check

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        try:
            with transaction.atomic():
                email_check(practice=harbour, user=tess)
                raise RuntimeError("roll back")
        except RuntimeError:
            pass
    assert callbacks == []
    assert mail.outbox == []


def test_a_staff_member_without_an_email_address_is_told_so(client, tess, harbour):
    tess.email = ""
    tess.save()
    client.force_login(tess)
    response = client.post(
        reverse("admin:practice_practice_changelist"),
        {"action": "send_email_check", "_selected_action": [harbour.pk]},
        follow=True,
    )
    assert "Your account has no email address" in response.content.decode()
    assert mail.outbox == []


def test_the_outbox_row_records_the_sent_message(client, tess, harbour, django_capture_on_commit_callbacks):
    client.force_login(tess)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("admin:practice_practice_changelist"),
            {"action": "send_email_check", "_selected_action": [harbour.pk]},
        )
    row = OutboundEmail.objects.get()
    [message] = mail.outbox
    assert row.status == EmailStatus.SENT and row.sent_at is not None and row.attempts == 1
    assert message.extra_headers["Message-ID"] == row.message_id


def test_plain_text_parts_are_not_html_escaped(client, make_practice, make_staff, django_capture_on_commit_callbacks):
    practice = make_practice("Smith & Jones <Therapy>")
    owner = make_staff("sam", practice, "owner")
    client.force_login(owner)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("admin:practice_practice_changelist"),
            {"action": "send_email_check", "_selected_action": [practice.pk]},
        )
    [message] = mail.outbox
    assert message.subject == "Test email from Smith & Jones <Therapy>"
    assert "Smith & Jones <Therapy> can send email" in message.body
    assert "&amp;" not in message.body
    html, _ = message.alternatives[0]
    assert "Smith &amp; Jones &lt;Therapy&gt;" in html
