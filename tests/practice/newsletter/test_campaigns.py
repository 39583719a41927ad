"""Newsletter campaigns: safe rendering, one message per subscriber, pause/resume/cancel, the admin buttons."""

from __future__ import annotations

import re
from collections import Counter
from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.core import mail
from django.test import Client as BrowserClient
from django.urls import reverse
from django.utils import timezone

from practice.mail import outbox
from practice.mail.batches import batches_finish
from practice.mail.models import EmailKind, EmailStatus, OutboundEmail, Suppression, SuppressionReason
from practice.models import Role
from practice.newsletter import campaigns
from practice.newsletter.campaigns import (
    CampaignError,
    campaign_cancel,
    campaign_counts,
    campaign_pause,
    campaign_resume,
    campaign_schedule,
    campaign_send_test,
    campaign_start,
    campaigns_start_due,
    html_to_text,
    markdown_to_html,
)
from practice.newsletter.models import Campaign, CampaignStatus, Subscriber, SubscriberStatus
from practice.newsletter.tokens import read_unsubscribe_token

SITE = "https://harbour.example"

HOSTILE_MARKDOWN = """## News

Read [our blog](https://harbour.example/blog) or [this](javascript:alert('link')).

<script>alert('script')</script>
<style>body { background: url(https://evil.example/track) }</style>
<iframe src="https://evil.example/frame">framed</iframe>
<img src="https://img.example/ok.png" onerror="alert('handler')" alt="ok">
<a href="JaVaScRiPt:alert('mixed')">mixed case</a>
<a href="java&#115;cript:alert('entity')">entity</a>
![pixel](data:image/png;base64,iVBORw0KGgo=)
<a href="data:text/html;base64,PHNjcmlwdD4=">data link</a>
<p onclick="alert('click')">clickable</p>
"""
FORBIDDEN = ["<script", "alert(", "onerror", "onclick", "javascript:", "<iframe", "<style", "data:", "evil.example"]


@pytest.fixture(autouse=True)
def _site(settings):
    settings.TANDEM_SITE_URL = SITE


@pytest.fixture
def make_campaign(harbour, tess):
    def make(practice=None, **fields) -> Campaign:
        defaults = {
            "subject": "Spring news",
            "preheader": "Longer evenings, new groups",
            "body_markdown": "## Hello\n\nOur new **group** starts in May. [Details](https://harbour.example/groups)",
            "created_by": tess,
        }
        return Campaign.objects.create(practice=practice or harbour, **{**defaults, **fields})

    return make


def subscribe(practice, n: int, *, prefix: str = "reader", status: str = SubscriberStatus.CONFIRMED) -> list:
    return [
        Subscriber.objects.create(practice=practice, email=f"{prefix}{i}@example.net", status=status) for i in range(n)
    ]


def recipients_of(messages) -> Counter:
    return Counter(address for message in messages for address in message.to)


def reconciles(counts: dict[str, int]) -> bool:
    parts = ("sent", "failed", "suppressed", "cancelled", "pending")
    return counts["recipients"] == sum(counts[part] for part in parts)


def html_of(message) -> str:
    [(html, mimetype)] = message.alternatives
    assert mimetype == "text/html"
    return html


# Rendering ----------------------------------------------------------------------------------------


def test_hostile_markdown_leaves_nothing_executable_in_the_html():
    html = markdown_to_html(HOSTILE_MARKDOWN)
    for needle in FORBIDDEN:
        assert needle not in html.lower(), needle
    assert '<a href="https://harbour.example/blog" rel="noopener noreferrer">our blog</a>' in html
    assert re.search(
        r'<img (alt="ok" src="https://img\.example/ok\.png"|src="https://img\.example/ok\.png" alt="ok")>', html
    )


def test_hostile_markdown_leaves_nothing_of_it_in_the_text():
    text = html_to_text(markdown_to_html(HOSTILE_MARKDOWN))
    for needle in FORBIDDEN:
        assert needle not in text.lower(), needle
    assert "our blog (https://harbour.example/blog)" in text
    assert "clickable" in text


def test_images_need_https_and_links_need_http_https_or_mailto():
    html = markdown_to_html(
        "![a](http://img.example/a.png) ![b](https://img.example/b.png) [ftp](ftp://files.example/x) "
        "[rel](/relative) [mail](mailto:hello@harbour.example) [web](http://harbour.example/)"
    )
    assert "http://img.example" not in html
    assert 'src="https://img.example/b.png"' in html
    assert "ftp:" not in html and "/relative" not in html
    assert 'href="mailto:hello@harbour.example"' in html
    assert 'href="http://harbour.example/"' in html
    assert html.count('rel="noopener noreferrer"') == 2


def test_only_the_small_tag_set_survives():
    html = markdown_to_html("# Title\n\n<div class='x'><table><tr><td>cell</td></tr></table></div>\n\n###### Tiny")
    assert "<h2>Title</h2>" in html and "<h3>Tiny</h3>" in html
    assert "cell" in html
    for tag in ("<h1", "<div", "<table", "<td", "class="):
        assert tag not in html


def test_the_text_version_reads_like_text():
    text = html_to_text(
        markdown_to_html(
            "## Groups\n\nJoin [our group](https://harbour.example/g) or write to [us](mailto:hi@harbour.example).\n\n"
            "- Mondays\n- Thursdays\n\n1. Book\n2. Come\n\n> A quote\n\n### Small print\n\nSee https://harbour.example"
        )
    )
    assert text == (
        "Groups\n======\n\n"
        "Join our group (https://harbour.example/g) or write to us (hi@harbour.example).\n\n"
        "- Mondays\n- Thursdays\n\n"
        "1. Book\n2. Come\n\n"
        "> A quote\n\n"
        "Small print\n-----------\n\n"
        "See https://harbour.example"
    )


def test_the_markdown_is_rendered_once_per_campaign_not_per_subscriber(harbour, make_campaign, monkeypatch):
    subscribe(harbour, 25)
    calls = []
    real = campaigns.markdown.markdown
    monkeypatch.setattr(campaigns.markdown, "markdown", lambda *a, **k: calls.append(1) or real(*a, **k))
    campaign_start(campaign=make_campaign())
    assert len(calls) == 1
    assert OutboundEmail.objects.filter(kind=EmailKind.NEWSLETTER).count() == 25


def test_a_large_list_is_written_in_bulk(harbour, make_campaign, django_assert_max_num_queries):
    Subscriber.objects.bulk_create(
        Subscriber(practice=harbour, email=f"bulk{i}@example.net", status=SubscriberStatus.CONFIRMED)
        for i in range(2500)
    )
    campaign = make_campaign()
    with django_assert_max_num_queries(100):  # one INSERT per row would be 2,500
        campaign_start(campaign=campaign)
    assert campaign_counts(campaign)["recipients"] == 2500


# Sending ------------------------------------------------------------------------------------------


def test_each_confirmed_subscriber_gets_exactly_one_message_and_the_counts_reconcile(
    harbour, elsewhere, make_campaign, django_capture_on_commit_callbacks
):
    readers = subscribe(harbour, 5)
    subscribe(harbour, 1, prefix="waiting", status=SubscriberStatus.PENDING)
    subscribe(harbour, 1, prefix="gone", status=SubscriberStatus.UNSUBSCRIBED)
    subscribe(elsewhere, 2, prefix="other")
    campaign = make_campaign()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        campaign_start(campaign=campaign)
    assert len(callbacks) == 1  # one drain, not one per message
    assert recipients_of(mail.outbox) == Counter({r.email: 1 for r in readers})
    counts = campaign_counts(campaign)
    assert counts == {"recipients": 5, "sent": 5, "failed": 0, "suppressed": 0, "cancelled": 0, "pending": 0}
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.FINISHED and campaign.started_at and campaign.finished_at
    row = OutboundEmail.objects.get(to_email="reader0@example.net")
    assert row.idempotency_key == f"campaign:{campaign.pk}:subscriber:{readers[0].pk}"
    assert (row.kind, row.resend_if_lost, row.personaliser, row.personalise_id) == (
        EmailKind.NEWSLETTER,
        False,
        campaigns.PERSONALISER,
        readers[0].pk,
    )
    assert row.batch == campaign.batch


def test_every_message_carries_one_click_unsubscribe_headers_for_its_own_subscriber(
    harbour, make_campaign, django_capture_on_commit_callbacks
):
    readers = subscribe(harbour, 3)
    with django_capture_on_commit_callbacks(execute=True):
        campaign_start(campaign=make_campaign())
    assert len(mail.outbox) == 3
    by_email = {r.email: r for r in readers}
    for message in mail.outbox:
        subscriber = by_email[message.to[0]]
        headers = message.extra_headers
        match = re.fullmatch(
            r"<(https://harbour\.example/newsletter/unsubscribe/([^/]+)/)>", headers["List-Unsubscribe"]
        )
        assert match, headers["List-Unsubscribe"]
        url, token = match.groups()
        assert read_unsubscribe_token(token) == subscriber.pk
        assert url == SITE + reverse("newsletter:unsubscribe", args=[token])
        assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert headers["List-Id"] == f"Harbour Light <newsletter.{harbour.pk}.example.org>"
        preferences = SITE + reverse("newsletter:preferences", args=[token])
        assert url in message.body and preferences in message.body
        assert f'href="{url}"' in html_of(message) and f'href="{preferences}"' in html_of(message)
        for other in readers:
            if other != subscriber:
                assert other.email not in message.body


def test_the_newsletter_has_a_hidden_preheader_the_body_and_a_reason(
    harbour, make_campaign, django_capture_on_commit_callbacks
):
    subscribe(harbour, 1)
    with django_capture_on_commit_callbacks(execute=True):
        campaign_start(campaign=make_campaign(subject="Spring & summer news"))
    [message] = mail.outbox
    html = html_of(message)
    assert message.subject == "Spring & summer news"
    hidden = re.search(r'<div style="display:none[^"]*">Longer evenings, new groups', html)
    assert hidden and hidden.start() < html.index("<h2>Hello</h2>")
    assert "<strong>group</strong>" in html
    assert "You receive this because reader0@example.net subscribed to the newsletter of Harbour Light" in html
    assert "Hello\n=====" in message.body
    assert "Details (https://harbour.example/groups)" in message.body
    assert "You receive this because reader0@example.net subscribed" in message.body
    assert "&amp;" not in message.body and "High Street" in message.body


def test_starting_twice_creates_no_duplicates(harbour, make_campaign):
    subscribe(harbour, 4)
    campaign = make_campaign()
    campaign_start(campaign=campaign)
    with pytest.raises(CampaignError, match="cannot be sent: its status is “Sending”"):
        campaign_start(campaign=campaign)
    # Even if the status check were bypassed (a crash between steps), the keys hold.
    Campaign.objects.filter(pk=campaign.pk).update(status=CampaignStatus.SCHEDULED)
    campaign_start(campaign=campaign)
    assert OutboundEmail.objects.filter(batch__campaign=campaign).count() == 4
    assert campaign_counts(campaign)["recipients"] == 4


def test_someone_who_unsubscribes_after_the_start_is_not_sent_and_counts_as_cancelled(harbour, make_campaign):
    readers = subscribe(harbour, 3)
    campaign = make_campaign()
    campaign_start(campaign=campaign)
    Subscriber.objects.filter(pk=readers[1].pk).update(status=SubscriberStatus.UNSUBSCRIBED)
    outbox.drain()
    assert recipients_of(mail.outbox) == Counter({"reader0@example.net": 1, "reader2@example.net": 1})
    counts = campaign_counts(campaign)
    assert (counts["recipients"], counts["sent"], counts["cancelled"], counts["pending"]) == (3, 2, 1, 0)
    assert reconciles(counts)


def test_a_suppressed_address_is_never_materialised(harbour, make_campaign):
    readers = subscribe(harbour, 3)
    Suppression.objects.create(practice=harbour, email="READER1@example.net", reason=SuppressionReason.COMPLAINT)
    campaign = make_campaign()
    campaign_start(campaign=campaign)
    assert set(OutboundEmail.objects.values_list("personalise_id", flat=True)) == {readers[0].pk, readers[2].pk}
    outbox.drain()
    assert "reader1@example.net" not in recipients_of(mail.outbox)


def _act_before_claim(monkeypatch, claim_number: int, act) -> None:
    """Let the drain send a batch, then do ``act`` just before it claims the next one."""
    real_claim = outbox.claim
    calls = []

    def claim(batch, now=None):
        calls.append(batch)
        if len(calls) == claim_number:
            act()
        return real_claim(batch, now)

    monkeypatch.setattr(outbox, "claim", claim)


def test_pausing_midway_then_resuming_sends_everyone_exactly_once(
    harbour, make_campaign, settings, monkeypatch, django_capture_on_commit_callbacks
):
    settings.PRACTICE_OUTBOX_BATCH_SIZE = 3
    readers = subscribe(harbour, 7)
    campaign = make_campaign()
    campaign_start(campaign=campaign)
    _act_before_claim(monkeypatch, 2, lambda: campaign_pause(campaign=Campaign.objects.get(pk=campaign.pk)))
    outbox.drain()
    assert len(mail.outbox) == 3
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.PAUSED
    assert campaign_counts(campaign)["pending"] == 4
    outbox.drain()  # while paused, nothing more goes
    assert len(mail.outbox) == 3
    with django_capture_on_commit_callbacks(execute=True):
        campaign_resume(campaign=campaign)
    assert recipients_of(mail.outbox) == Counter({r.email: 1 for r in readers})
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.FINISHED
    assert campaign_counts(campaign)["sent"] == 7


def test_cancelling_midway_cancels_what_is_left_and_the_counts_reconcile(harbour, make_campaign, settings, monkeypatch):
    settings.PRACTICE_OUTBOX_BATCH_SIZE = 2
    subscribe(harbour, 5)
    campaign = make_campaign()
    campaign_start(campaign=campaign)
    later = OutboundEmail.objects.filter(batch__campaign=campaign).order_by("-pk").first()
    OutboundEmail.objects.filter(pk=later.pk).update(
        status=EmailStatus.DEFERRED, due_at=timezone.now() + timedelta(hours=1), last_error="451 try later"
    )
    _act_before_claim(monkeypatch, 2, lambda: campaign_cancel(campaign=Campaign.objects.get(pk=campaign.pk)))
    outbox.drain()
    assert len(mail.outbox) == 2
    outbox.drain(now=timezone.now() + timedelta(hours=2))
    assert len(mail.outbox) == 2
    counts = campaign_counts(campaign)
    assert counts == {"recipients": 5, "sent": 2, "failed": 0, "suppressed": 0, "cancelled": 3, "pending": 0}
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.CANCELLED


def test_a_scheduled_campaign_starts_only_when_due(harbour, make_campaign):
    subscribe(harbour, 2)
    now = timezone.now()
    campaign = make_campaign()
    campaign_schedule(campaign=campaign, send_at=now + timedelta(hours=1))
    assert campaigns_start_due(now) == 0
    assert campaigns_start_due(now + timedelta(minutes=59)) == 0
    assert not OutboundEmail.objects.exists()
    assert Campaign.objects.get(pk=campaign.pk).status == CampaignStatus.SCHEDULED
    assert campaigns_start_due(now + timedelta(hours=1)) == 1
    assert Campaign.objects.get(pk=campaign.pk).status == CampaignStatus.SENDING
    assert OutboundEmail.objects.filter(batch__campaign=campaign).count() == 2
    assert campaigns_start_due(now + timedelta(hours=2)) == 0  # started once only


def test_the_beat_task_starts_due_campaigns(harbour, make_campaign, settings):
    from config.celery import app
    from practice.newsletter.tasks import start_due_campaigns

    subscribe(harbour, 1)
    due = make_campaign(status=CampaignStatus.SCHEDULED, send_at=timezone.now() - timedelta(minutes=1))
    draft = make_campaign(send_at=timezone.now() - timedelta(minutes=1))
    assert settings.CELERY_BEAT_SCHEDULE["start-due-campaigns"]["task"] in app.tasks
    start_due_campaigns.delay()
    assert Campaign.objects.get(pk=due.pk).status == CampaignStatus.SENDING
    assert Campaign.objects.get(pk=draft.pk).status == CampaignStatus.DRAFT


@pytest.mark.parametrize(
    ("status", "service", "message"),
    [
        (CampaignStatus.DRAFT, campaign_pause, "cannot be paused: its status is “Draft”"),
        (CampaignStatus.SENDING, campaign_resume, "cannot be resumed: its status is “Sending”"),
        (CampaignStatus.FINISHED, campaign_start, "cannot be sent: its status is “Finished”"),
        (CampaignStatus.PAUSED, campaign_start, "cannot be sent: its status is “Paused”"),
        (CampaignStatus.CANCELLED, campaign_cancel, "cannot be cancelled: its status is “Cancelled”"),
    ],
)
def test_the_rules_of_the_campaign_states_are_enforced(make_campaign, status, service, message):
    campaign = make_campaign(status=status)
    with pytest.raises(CampaignError, match=message):
        service(campaign=campaign)
    assert Campaign.objects.get(pk=campaign.pk).status == status


def test_a_campaign_cannot_be_scheduled_in_the_past_or_without_a_time(make_campaign):
    campaign = make_campaign()
    with pytest.raises(CampaignError, match="passed"):
        campaign_schedule(campaign=campaign, send_at=timezone.now() - timedelta(minutes=1))
    with pytest.raises(CampaignError, match="Choose when"):
        campaign_schedule(campaign=campaign, send_at=None)
    assert Campaign.objects.get(pk=campaign.pk).status == CampaignStatus.DRAFT


def test_a_test_send_goes_only_to_the_staff_member_and_is_not_counted(
    harbour, tess, make_campaign, django_capture_on_commit_callbacks
):
    subscribe(harbour, 3)
    campaign = make_campaign()
    with django_capture_on_commit_callbacks(execute=True):
        campaign_send_test(campaign=campaign, user=tess)
        campaign_send_test(campaign=campaign, user=tess)
    assert recipients_of(mail.outbox) == Counter({"tess@example.org": 2})
    message = mail.outbox[0]
    assert message.subject == "[Test] Spring news"
    token = re.search(r"/newsletter/unsubscribe/([^/]+)/", message.body).group(1)
    assert read_unsubscribe_token(token) == 0  # unsubscribes nobody
    assert campaign_counts(campaign)["recipients"] == 0
    assert Campaign.objects.get(pk=campaign.pk).status == CampaignStatus.DRAFT
    assert set(OutboundEmail.objects.values_list("kind", "batch_id")) == {(EmailKind.NEWSLETTER, None)}


def test_thirty_subscribers_each_receive_one_message_through_a_real_smtp_server(
    harbour, make_campaign, smtp_server, settings
):
    sink, url = smtp_server
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = int(url.rsplit(":", 1)[1])
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 5
    readers = subscribe(harbour, 30)
    campaign = make_campaign()
    campaign_start(campaign=campaign)
    report = outbox.drain()
    received = sink.wait_for(30, timeout=10)
    assert report.sent == 30
    assert Counter(str(message["To"]) for message in received) == Counter({r.email: 1 for r in readers})
    for message in received:
        unsubscribe = str(message["List-Unsubscribe"]).strip()  # long, so folded onto its own line
        assert unsubscribe.startswith(f"<{SITE}/newsletter/unsubscribe/") and unsubscribe.endswith("/>")
        assert str(message["List-Unsubscribe-Post"]) == "List-Unsubscribe=One-Click"
        assert str(message["List-Id"]) == f"Harbour Light <newsletter.{harbour.pk}.example.org>"
        # One body stored for the campaign; each message says its own address and carries its own token.
        by_address = {r.email: r for r in readers}
        reader = by_address[str(message["To"])]
        text = message.get_body(preferencelist=("plain",)).get_content()
        html = message.get_body(preferencelist=("html",)).get_content()
        for part in (text, html):
            assert f"You receive this because {reader.email} subscribed" in part
            assert "placeholder" not in part and "filled-in-when-sent" not in part
        token = re.search(r"/newsletter/unsubscribe/([^/]+)/", text).group(1)
        assert read_unsubscribe_token(token) == reader.pk
    assert set(OutboundEmail.objects.values_list("body_text", "body_html")) == {("", "")}
    assert "You receive this because" in Campaign.objects.get(pk=campaign.pk).batch.body_text
    assert campaign_counts(campaign)["sent"] == 30
    assert Campaign.objects.get(pk=campaign.pk).status == CampaignStatus.FINISHED


# Admin --------------------------------------------------------------------------------------------


def test_a_newsletters_page_in_sent_emails_shows_what_its_recipient_was_sent(harbour, tess, make_campaign, client):
    """Its body is the campaign's, kept once by the batch; the page shows it with the recipient's address."""
    readers = subscribe(harbour, 2)
    campaign_start(campaign=make_campaign())
    row = OutboundEmail.objects.get(to_email=readers[1].email)
    assert (row.body_text, row.body_html) == ("", "")
    client.force_login(tess)
    html = client.get(reverse("admin:mail_outboundemail_change", args=[row.pk])).content.decode()
    assert f"You receive this because {readers[1].email} subscribed" in html  # the text
    assert f"You receive this because {readers[1].email} subscribed" in html.split("srcdoc=", 1)[1]  # the HTML
    assert readers[0].email not in html and "placeholder.tandem" not in html


def change_url(campaign: Campaign) -> str:
    return reverse("admin:newsletter_campaign_change", args=[campaign.pk])


def action_url(campaign: Campaign, action: str) -> str:
    return reverse("admin:newsletter_campaign_action", args=[campaign.pk, action])


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def test_a_therapist_can_create_a_draft_in_her_practice_without_choosing_it(client, uma, harbour, elsewhere):
    client.force_login(uma)
    assert 'name="practice"' not in client.get(reverse("admin:newsletter_campaign_add")).content.decode()
    response = client.post(
        reverse("admin:newsletter_campaign_add"),
        {
            "practice": elsewhere.pk,  # forged: not a field of her form, so it is not read
            "subject": "Autumn news",
            "preheader": "",
            "body_markdown": "Hello",
            "send_at_0": "",
            "send_at_1": "",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    campaign = Campaign.objects.get(subject="Autumn news")
    assert (campaign.status, campaign.practice, campaign.created_by) == (CampaignStatus.DRAFT, harbour, uma)


def test_the_change_page_shows_the_counts_and_the_buttons_outside_the_main_form(client, tess, make_campaign):
    campaign = make_campaign()
    client.force_login(tess)
    html = client.get(change_url(campaign)).content.decode()
    main_form = html.index('id="campaign_form"')
    main_form_end = html.index("</form>", main_form)
    send_form = html.index('id="campaign-action-send"')
    assert main_form_end < send_form
    assert 'form="campaign-action-send"' in html and 'form="campaign-action-test"' in html
    assert 'form="campaign_form" name="_schedule"' in html
    assert 'form="campaign-action-pause"' not in html  # a draft is not sending
    assert reverse("admin:newsletter_campaign_preview", args=[campaign.pk]) in html
    assert 'id="campaign-count-recipients">0<' in html


def test_the_send_now_button_sends_the_campaign(
    client, tess, harbour, make_campaign, django_capture_on_commit_callbacks
):
    readers = subscribe(harbour, 3)
    campaign = make_campaign()
    client.force_login(tess)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(action_url(campaign, "send"), {"confirmed": "1"}, follow=True)
    assert "The campaign is being sent to 3 subscribers." in messages_of(response)
    assert recipients_of(mail.outbox) == Counter({r.email: 1 for r in readers})
    html = client.get(change_url(campaign)).content.decode()
    assert 'id="campaign-count-sent">3<' in html and 'id="campaign-status">Finished<' in html


@pytest.mark.parametrize(
    ("before", "action", "after", "message"),
    [
        (CampaignStatus.SENDING, "pause", CampaignStatus.PAUSED, "Sending is paused."),
        (CampaignStatus.PAUSED, "resume", CampaignStatus.SENDING, "Sending resumed."),
        (CampaignStatus.SENDING, "cancel", CampaignStatus.CANCELLED, "The campaign is cancelled"),
        (CampaignStatus.SCHEDULED, "cancel", CampaignStatus.CANCELLED, "The campaign is cancelled"),
        (CampaignStatus.DRAFT, "pause", CampaignStatus.DRAFT, "This campaign cannot be paused: its status is “Draft”."),
    ],
)
def test_the_state_buttons_work(client, tess, make_campaign, before, action, after, message):
    campaign = make_campaign(status=before)
    client.force_login(tess)
    response = client.post(action_url(campaign, action), follow=True)
    assert any(m.startswith(message) for m in messages_of(response)), messages_of(response)
    assert Campaign.objects.get(pk=campaign.pk).status == after


def test_the_cancel_button_cancels_unsent_messages(client, tess, harbour, make_campaign):
    subscribe(harbour, 3)
    campaign = make_campaign()
    campaign_start(campaign=campaign)
    client.force_login(tess)
    client.post(action_url(campaign, "cancel"))
    assert campaign_counts(campaign)["cancelled"] == 3
    outbox.drain()
    assert mail.outbox == []


def test_the_retry_button_sends_failed_messages_again(
    client, tess, harbour, make_campaign, django_capture_on_commit_callbacks
):
    subscribe(harbour, 2)
    campaign = make_campaign()
    campaign_start(campaign=campaign)
    failed, sent = OutboundEmail.objects.filter(batch__campaign=campaign).order_by("pk")
    OutboundEmail.objects.filter(pk=failed.pk).update(status=EmailStatus.FAILED, last_error="554 no")
    OutboundEmail.objects.filter(pk=sent.pk).update(status=EmailStatus.SENT, sent_at=timezone.now())
    batches_finish()
    assert Campaign.objects.get(pk=campaign.pk).status == CampaignStatus.FINISHED
    client.force_login(tess)
    assert 'form="campaign-action-retry"' in client.get(change_url(campaign)).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(action_url(campaign, "retry"), follow=True)
    assert "1 failed message will be retried." in messages_of(response)
    assert recipients_of(mail.outbox) == Counter({failed.to_email: 1})
    assert campaign_counts(campaign)["sent"] == 2
    assert Campaign.objects.get(pk=campaign.pk).status == CampaignStatus.FINISHED


def test_the_schedule_button_saves_the_send_time_and_schedules(client, tess, harbour, make_campaign):
    campaign = make_campaign()
    when = timezone.localtime(timezone.now() + timedelta(days=2)).replace(microsecond=0)
    client.force_login(tess)
    response = client.post(
        change_url(campaign),
        {
            "practice": harbour.pk,
            "subject": "Spring news, edited",
            "preheader": "",
            "body_markdown": "Hello",
            "send_at_0": when.strftime("%Y-%m-%d"),
            "send_at_1": when.strftime("%H:%M:%S"),
            "_schedule": "1",
        },
        follow=True,
    )
    assert response.redirect_chain[-1][0] == action_url(campaign, "schedule")  # saved, then asked to confirm
    assert Campaign.objects.get(pk=campaign.pk).status == CampaignStatus.DRAFT
    response = client.post(action_url(campaign, "schedule"), {"confirmed": "1"}, follow=True)
    assert any(m.startswith("The campaign will be sent at") for m in messages_of(response)), messages_of(response)
    campaign.refresh_from_db()
    assert (campaign.status, campaign.send_at, campaign.subject) == (
        CampaignStatus.SCHEDULED,
        when,
        "Spring news, edited",
    )


def test_the_send_test_button_sends_only_to_the_staff_member(
    client, uma, harbour, make_campaign, django_capture_on_commit_callbacks
):
    subscribe(harbour, 2)
    campaign = make_campaign()
    client.force_login(uma)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(action_url(campaign, "test"), follow=True)
    assert "A test is on its way to uma@example.org." in messages_of(response)
    assert recipients_of(mail.outbox) == Counter({"uma@example.org": 1})
    assert Campaign.objects.get(pk=campaign.pk).status == CampaignStatus.DRAFT


def test_the_preview_shows_the_email_in_a_sandboxed_frame_with_its_text(client, tess, make_campaign):
    campaign = make_campaign(body_markdown=HOSTILE_MARKDOWN)
    client.force_login(tess)
    response = client.get(reverse("admin:newsletter_campaign_preview", args=[campaign.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    frame = re.search(r'<iframe sandbox="" [^>]*srcdoc="([^"]*)"', html)
    assert frame, html
    assert "&lt;h2&gt;News&lt;/h2&gt;" in frame.group(1)
    assert "alert(" not in html and "evil.example" not in html
    assert "our blog (https://harbour.example/blog)" in html  # the text version
    crumbs = re.search(r'<div class="breadcrumbs">(.*?)</div>', html, re.S).group(1)
    change = reverse("admin:newsletter_campaign_change", args=[campaign.pk])
    assert f'href="{change}"' in crumbs and crumbs.rstrip().endswith("Preview")


def test_a_sent_campaign_is_read_only(client, tess, harbour, make_campaign):
    campaign = make_campaign(status=CampaignStatus.SENDING)
    client.force_login(tess)
    html = client.get(change_url(campaign)).content.decode()
    assert 'name="_save"' not in html and 'form="campaign-action-pause"' in html
    response = client.post(
        change_url(campaign), {"practice": harbour.pk, "subject": "Changed", "body_markdown": "x", "preheader": ""}
    )
    assert response.status_code == 403
    assert Campaign.objects.get(pk=campaign.pk).subject == "Spring news"


@pytest.mark.parametrize("page", ["change", "preview", "send", "cancel", "test"])
def test_the_owner_of_another_practice_gets_404(client, make_staff, elsewhere, make_campaign, harbour, page):
    subscribe(harbour, 1)
    campaign = make_campaign(status=CampaignStatus.SCHEDULED)
    olive = make_staff("olive", elsewhere, Role.OWNER)
    client.force_login(olive)
    if page == "change":
        response = client.get(change_url(campaign))
    elif page == "preview":
        response = client.get(reverse("admin:newsletter_campaign_preview", args=[campaign.pk]))
    else:
        response = client.post(action_url(campaign, page))
    assert response.status_code == 404
    assert Campaign.objects.get(pk=campaign.pk).status == CampaignStatus.SCHEDULED
    assert not OutboundEmail.objects.exists()


def test_the_buttons_need_the_change_permission(client, make_staff, harbour, make_campaign):
    campaign = make_campaign()
    viewer = make_staff("vera", harbour, Role.THERAPIST)
    viewer.groups.clear()
    viewer.user_permissions.add(Permission.objects.get(codename="view_campaign"))
    client.force_login(viewer)
    assert client.get(change_url(campaign)).status_code == 200
    assert client.post(action_url(campaign, "send")).status_code == 403
    assert Campaign.objects.get(pk=campaign.pk).status == CampaignStatus.DRAFT


def test_the_buttons_need_a_csrf_token_and_a_post(tess, make_campaign):
    campaign = make_campaign()
    browser = BrowserClient(enforce_csrf_checks=True)
    browser.force_login(tess)
    assert browser.post(action_url(campaign, "send")).status_code == 403
    assert browser.post(action_url(campaign, "send"), {"confirmed": "1"}).status_code == 403
    assert browser.get(action_url(campaign, "send")).status_code == 200  # only the confirmation page
    assert browser.get(action_url(campaign, "pause")).status_code == 405
    assert Campaign.objects.get(pk=campaign.pk).status == CampaignStatus.DRAFT


def test_the_campaign_list_counts_every_campaign_in_a_constant_number_of_queries(client, tess, harbour, make_campaign):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(tess)
    subscribe(harbour, 3)

    def queries_for_list() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("admin:newsletter_campaign_changelist")).status_code == 200
        return len(captured)

    campaign_start(campaign=make_campaign())
    one = queries_for_list()
    for _ in range(4):
        campaign_start(campaign=make_campaign())
    assert queries_for_list() == one
    page = client.get(reverse("admin:newsletter_campaign_changelist")).content.decode()
    assert page.count("0 of 3 sent, 0 failed, 3 waiting") == 5
