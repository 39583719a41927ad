"""Newsletter campaigns: Markdown rendered once and sanitised, recipients materialised at send time.

A campaign's body is rendered to HTML and text once per send; each outbox row only gets its own
unsubscribe and preferences links (and address) swapped in, so 20,000 recipients cost 20,000
string substitutions, not 20,000 Markdown renders. Rows are written in bulk with an idempotency key
per subscriber, so starting twice never sends twice.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import datetime
from html.parser import HTMLParser
from typing import TYPE_CHECKING, Any

import markdown
import nh3
from django.conf import settings
from django.db import transaction
from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from practice.mail import app_settings, batches, outbox
from practice.mail.emails import rendered
from practice.mail.models import OPEN_EMAIL_STATUSES, Batch, EmailKind, EmailStatus, OutboundEmail, Suppression
from practice.newsletter.models import Campaign, CampaignStatus, Subscriber, SubscriberStatus
from practice.newsletter.tokens import unsubscribe_token

if TYPE_CHECKING:
    from collections.abc import Iterable

    from django.contrib.auth.models import AbstractBaseUser

    from practice.models import Practice

#: The outbox asks this personaliser, just before each newsletter goes, whether its subscriber still wants it
#: (``subscribers_still_wanted``).
PERSONALISER = "newsletter.subscriber"
#: Stands for the subscriber's unsubscribe token in a stored newsletter (its links and List-Unsubscribe
#: header); the personaliser fills it in at send time (``recipient_link``).
TOKEN_SLOT = "unsubscribe-token-filled-in-when-sent"  # noqa: S105 - a placeholder, not a secret

#: Outbox rows written per INSERT where the database has no COPY (SQLite).
WRITE_CHUNK = 1000

ALLOWED_TAGS = {"p", "br", "strong", "em", "a", "ul", "ol", "li", "h2", "h3", "blockquote", "hr", "img"}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt"}}
LINK_SCHEMES = {"http", "https", "mailto"}
#: Tags removed together with everything inside them (their content is code or another document).
DROPPED_WITH_CONTENT = {
    "script",
    "style",
    "iframe",
    "object",
    "embed",
    "noscript",
    "template",
    "svg",
    "math",
    "textarea",
    "select",
    "title",
    "head",
    "frameset",
    "noembed",
    "noframes",
    "xmp",
}
_HEADING = re.compile(r"<(/?)h([1-6])(?=[\s>])", re.IGNORECASE)
_IMAGE_WITHOUT_SOURCE = re.compile(r"<img(?![^>]*\ssrc=)[^>]*>")
_LINK_WITHOUT_TARGET = re.compile(r"<a(?![^>]*\shref=)[^>]*>(.*?)</a>", re.DOTALL)
_SPECIALS = re.compile(r'[()<>\[\]:;@\\,."]')


class CampaignError(ValueError):
    """A campaign cannot do what was asked in its current state; the message says why."""


# Rendering ----------------------------------------------------------------------------------------


def _attribute_filter(tag: str, attribute: str, value: str) -> str | None:
    """Images only from https (no data:, no http tracking over plain text)."""
    if tag == "img" and attribute == "src":
        return value if value.lower().startswith("https://") else None
    return value


def _heading_level(match: re.Match) -> str:
    level = int(match.group(2))
    return f"<{match.group(1)}h{2 if level <= 2 else 3}"


def _sanitised(html: str) -> str:
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        clean_content_tags=DROPPED_WITH_CONTENT,
        attributes=ALLOWED_ATTRIBUTES,
        attribute_filter=_attribute_filter,
        url_schemes=LINK_SCHEMES,
        url_relative="deny",
        link_rel="noopener noreferrer",
        strip_comments=True,
    )


def markdown_to_html(text: str) -> str:
    """Markdown to HTML an email client may show: a small tag set, http(s)/mailto links, https images."""
    html = markdown.markdown(text or "", extensions=["sane_lists"], output_format="html")
    html = _HEADING.sub(_heading_level, html)  # h1 is the email's own title; h4-h6 read as h3
    html = _sanitised(html)
    # Drop what the sanitiser disarmed (a javascript: link, a data: image), keeping link text. The regexes
    # only tidy; the second pass is what guarantees the result, whatever they did to odd input.
    return _sanitised(_LINK_WITHOUT_TARGET.sub(r"\1", _IMAGE_WITHOUT_SOURCE.sub("", html)))


class _PlainText(HTMLParser):
    """Sanitised newsletter HTML to readable text: underlined headings, bullets, "text (url)" links."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self.inline: list[str] = []
        self.lists: list[list[Any]] = []  # [tag, counter]
        self.quote = 0
        self.marker = ""
        self.links: list[tuple[str, int]] = []

    def _blank(self) -> None:
        if self.lines and self.lines[-1] != "":
            self.lines.append("")

    def _flush(self, underline: str = "") -> None:
        text = " ".join("".join(self.inline).split())
        self.inline.clear()
        if not text:
            return
        indent = "   " * max(len(self.lists) - 1, 0)
        if self.marker:
            text, self.marker = self.marker + text, ""
        elif self.lists:
            indent += "   "
        prefix = "> " * self.quote
        self.lines.append(prefix + indent + text)
        if underline:
            self.lines.append(prefix + underline * len(text))

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag in {"p", "h2", "h3"}:
            self._flush()
            if not self.lists:
                self._blank()
        elif tag == "br":
            self._flush()
        elif tag == "blockquote":
            self._flush()
            self._blank()
            self.quote += 1
        elif tag in {"ul", "ol"}:
            self._flush()
            if not self.lists:
                self._blank()
            self.lists.append([tag, 0])
        elif tag == "li":
            self._flush()
            if self.lists:
                self.lists[-1][1] += 1
                kind, number = self.lists[-1]
                self.marker = f"{number}. " if kind == "ol" else "- "
        elif tag == "hr":
            self._flush()
            self._blank()
            self.lines.append("----")
            self._blank()
        elif tag == "img":
            if attributes.get("alt"):
                self.inline.append(f"[{attributes['alt']}]")
        elif tag == "a":
            self.links.append((attributes.get("href") or "", len(self.inline)))

    def handle_endtag(self, tag: str) -> None:
        if tag in {"h2", "h3"}:
            self._flush(underline="=" if tag == "h2" else "-")
            self._blank()
        elif tag == "p":
            self._flush()
            if not self.lists:
                self._blank()
        elif tag == "li":
            self._flush()
        elif tag in {"ul", "ol"}:
            self._flush()
            if self.lists:
                self.lists.pop()
            if not self.lists:
                self._blank()
        elif tag == "blockquote":
            self._flush()
            self.quote = max(self.quote - 1, 0)
            self._blank()
        elif tag == "a" and self.links:
            href, start = self.links.pop()
            label = " ".join("".join(self.inline[start:]).split())
            shown = href.removeprefix("mailto:")
            if href and shown != label:
                self.inline.append(f" ({shown})")

    def handle_data(self, data: str) -> None:
        self.inline.append(data)

    def text(self) -> str:
        self._flush()
        return "\n".join(self.lines).strip()


def html_to_text(html: str) -> str:
    """The text part of a newsletter, from its already sanitised HTML."""
    parser = _PlainText()
    parser.feed(html)
    parser.close()
    return parser.text()


def _list_id(practice: Practice) -> str:
    name = " ".join(practice.name.split())
    if _SPECIALS.search(name):
        name = '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'
    domain = practice.sender_email.rpartition("@")[2].lower() or "tandem.invalid"
    return f"{name} <newsletter.{practice.pk}.{domain}>"


@dataclass(frozen=True)
class RenderedCampaign:
    """A campaign rendered once, with placeholders for what differs per recipient."""

    subject: str
    text: str
    html: str
    list_id: str
    unsubscribe_url: str  # with the token slot where the token goes
    preferences_url: str
    slots: tuple[str, str, str, str]  # unsubscribe URL, preferences URL, email address, token

    def for_recipient(self, *, token: str, email: str) -> tuple[str, str, dict[str, str]]:
        """Text, HTML and headers for one recipient, by substitution only."""
        unsubscribe_slot, preferences_slot, email_slot, token_slot = self.slots
        unsubscribe = self.unsubscribe_url.replace(token_slot, token)
        preferences = self.preferences_url.replace(token_slot, token)
        text = (
            self.text.replace(unsubscribe_slot, unsubscribe)
            .replace(preferences_slot, preferences)
            .replace(email_slot, email)
        )
        html = (
            self.html.replace(unsubscribe_slot, escape(unsubscribe))
            .replace(preferences_slot, escape(preferences))
            .replace(email_slot, escape(email))
        )
        headers = {
            "List-Unsubscribe": f"<{unsubscribe}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "List-Id": self.list_id,
        }
        return text, html, headers


def campaign_render(campaign: Campaign) -> RenderedCampaign:
    """Render the Markdown and the templates once; recipients' links are filled in by ``for_recipient``."""
    nonce = uuid.uuid4().hex
    slots = (f"tandem-unsubscribe-{nonce}", f"tandem-preferences-{nonce}", f"tandem-email-{nonce}", f"t{nonce}")
    body_html = markdown_to_html(campaign.body_markdown)
    subject, text, html = rendered(
        "newsletter/email/newsletter",
        practice=campaign.practice,
        context={
            "campaign": campaign,
            "subject": campaign.subject,
            "preheader": " ".join(campaign.preheader.split()),
            "body_html": mark_safe(body_html),  # noqa: S308 - sanitised by nh3 above
            "body_text": html_to_text(body_html),
            "unsubscribe_url": slots[0],
            "preferences_url": slots[1],
            "recipient_email": slots[2],
        },
    )
    site = settings.TANDEM_SITE_URL.rstrip("/")
    return RenderedCampaign(
        subject=subject[:300],
        text=text,
        html=html,
        list_id=_list_id(campaign.practice),
        unsubscribe_url=site + reverse("newsletter:unsubscribe", args=[slots[3]]),
        preferences_url=site + reverse("newsletter:preferences", args=[slots[3]]),
        slots=slots,
    )


def campaign_preview(campaign: Campaign, *, email: str = "") -> tuple[str, str, str]:
    """Subject, text and HTML as a recipient would see them, with links that unsubscribe nobody."""
    issue = campaign_render(campaign)
    text, html, _headers = issue.for_recipient(token=unsubscribe_token(0), email=email or "you@example.org")
    return issue.subject, text, html


# Services -----------------------------------------------------------------------------------------


def _locked(campaign: Campaign) -> Campaign:
    """The campaign's row, locked until the transaction ends, so two starts cannot both pass the check."""
    return Campaign.objects.select_for_update(of=("self",)).select_related("practice").get(pk=campaign.pk)


def _refuse(campaign: Campaign, allowed: Iterable[str], action: str) -> None:
    if campaign.status not in allowed:
        raise CampaignError(
            _("This campaign cannot be %(action)s: its status is “%(status)s”.")
            % {"status": campaign.get_status_display(), "action": action}
        )


def _recipients(campaign: Campaign):
    suppressed = Suppression.objects.filter(practice_id=campaign.practice_id).values("email")
    return (
        Subscriber.objects.filter(practice_id=campaign.practice_id, status=SubscriberStatus.CONFIRMED)
        .exclude(email__in=suppressed)
        .order_by("pk")
        .values_list("pk", "email")
    )


def _materialise(campaign: Campaign, batch: Batch, issue: RenderedCampaign, now: datetime) -> int:
    """Write one pending outbox row per recipient, set-based (``outbox.enqueue_many``); existing keys stay."""
    practice = campaign.practice
    # Read first: while COPY streams the rows, the connection can serve no other query (a cursor's next chunk).
    recipients = list(_recipients(campaign))

    def rows():
        for subscriber_id, email in recipients:
            yield OutboundEmail(
                practice=practice,
                idempotency_key=f"campaign:{campaign.pk}:subscriber:{subscriber_id}",
                kind=EmailKind.NEWSLETTER,
                to_email=email,
                subject=issue.subject,
                body_text="",  # the batch's shared body, with this address and token put in as it goes
                body_html="",
                message_id=outbox.new_message_id(practice),
                status=EmailStatus.PENDING,
                due_at=now,
                resend_if_lost=False,
                batch=batch,
                personaliser=PERSONALISER,
                personalise_id=subscriber_id,
            )

    return outbox.enqueue_many(rows(), into_new_batch=batch, chunk=WRITE_CHUNK)


@transaction.atomic
def campaign_start(*, campaign: Campaign) -> Campaign:
    """Send now: one outbox row per confirmed, unsuppressed subscriber; the drain starts after commit."""
    locked = _locked(campaign)
    _refuse(locked, [CampaignStatus.DRAFT, CampaignStatus.SCHEDULED], _("sent"))
    now = timezone.now()
    issue = campaign_render(locked)
    # One body for every recipient, kept by the batch: each address and unsubscribe token goes in as it is sent.
    text, html, headers = issue.for_recipient(token=TOKEN_SLOT, email=outbox.RECIPIENT_PLACEHOLDER)
    batch = locked.batch
    if batch is None:
        batch = batches.batch_create(
            practice=locked.practice, label=locked.subject, text=text, html=html, headers=headers
        )
    else:
        Batch.objects.filter(pk=batch.pk, body_text="", body_html="").update(
            body_text=text, body_html=html, headers=headers
        )
    total = _materialise(locked, batch, issue, now)
    Campaign.objects.filter(pk=locked.pk).update(status=CampaignStatus.SENDING, started_at=now, batch=batch)
    campaign.status, campaign.started_at, campaign.batch = CampaignStatus.SENDING, now, batch
    outbox.kick_drain(batches=-(-total // app_settings.outbox_batch_size()))  # a drain per batch, bounded
    return campaign


@transaction.atomic
def campaign_schedule(*, campaign: Campaign, send_at: datetime | None) -> Campaign:
    """Send at ``send_at`` (the beat task starts it); a scheduled campaign may be rescheduled."""
    locked = _locked(campaign)
    _refuse(locked, [CampaignStatus.DRAFT, CampaignStatus.SCHEDULED], _("scheduled"))
    if send_at is None:
        raise CampaignError(_("Choose when to send the campaign first."))
    if send_at <= timezone.now():
        raise CampaignError(_("The send time has passed; choose a time in the future, or send now."))
    Campaign.objects.filter(pk=locked.pk).update(status=CampaignStatus.SCHEDULED, send_at=send_at)
    campaign.status, campaign.send_at = CampaignStatus.SCHEDULED, send_at
    return campaign


def _transition(campaign: Campaign, allowed: list[str], action: str, new_status: str) -> Campaign:
    locked = _locked(campaign)
    _refuse(locked, allowed, action)
    Campaign.objects.filter(pk=locked.pk).update(status=new_status)
    campaign.status, campaign.batch_id = new_status, locked.batch_id
    return campaign


@transaction.atomic
def campaign_pause(*, campaign: Campaign) -> Campaign:
    """Stop claiming the campaign's rows; messages already being sent finish."""
    _transition(campaign, [CampaignStatus.SENDING], _("paused"), CampaignStatus.PAUSED)
    if campaign.batch_id:
        batches.batch_pause(batch=campaign.batch)
    return campaign


@transaction.atomic
def campaign_resume(*, campaign: Campaign) -> Campaign:
    """Carry on where the campaign paused; nobody already sent is sent again."""
    _transition(campaign, [CampaignStatus.PAUSED], _("resumed"), CampaignStatus.SENDING)
    if campaign.batch_id:
        batches.batch_resume(batch=campaign.batch)
    return campaign


@transaction.atomic
def campaign_cancel(*, campaign: Campaign) -> Campaign:
    """Stop for good: everything not yet sent is cancelled (a message mid-send may still go)."""
    allowed = [CampaignStatus.DRAFT, CampaignStatus.SCHEDULED, CampaignStatus.SENDING, CampaignStatus.PAUSED]
    _transition(campaign, allowed, _("cancelled"), CampaignStatus.CANCELLED)
    if campaign.batch_id:
        batches.batch_cancel(batch=campaign.batch, reason="The campaign was cancelled.")
    return campaign


@transaction.atomic
def campaign_retry_failed(*, campaign: Campaign) -> int:
    """Queue the campaign's failed messages again; a finished campaign goes back to sending."""
    locked = _locked(campaign)
    _refuse(locked, [CampaignStatus.SENDING, CampaignStatus.PAUSED, CampaignStatus.FINISHED], _("retried"))
    failed = OutboundEmail.objects.filter(batch_id=locked.batch_id, status=EmailStatus.FAILED)
    count = outbox.retry(failed)  # a finished batch reopens, and on_batch_reopened reopens the campaign
    if count and locked.status == CampaignStatus.FINISHED:
        campaign.status, campaign.finished_at = CampaignStatus.SENDING, None
    return count


@transaction.atomic
def campaign_send_test(*, campaign: Campaign, user: AbstractBaseUser) -> OutboundEmail:
    """Send the campaign to the staff member alone, with links that unsubscribe nobody; not counted."""
    if not getattr(user, "email", ""):
        raise CampaignError(_("Your account has no email address; add one first."))
    issue = campaign_render(campaign)
    text, html, headers = issue.for_recipient(token=unsubscribe_token(0), email=user.email)
    return outbox.enqueue(
        practice=campaign.practice,
        key=f"campaign-test:{campaign.pk}:{user.pk}:{uuid.uuid4().hex}",
        kind=EmailKind.NEWSLETTER,
        to=user.email,
        subject=str(_("[Test] %(subject)s") % {"subject": issue.subject}),
        text=text,
        html=html,
        headers=headers,
    )


def count_expressions() -> dict[str, Count]:
    """Where a campaign's recipients stand, as annotations: one query for a whole list of campaigns."""
    waiting = list(OPEN_EMAIL_STATUSES)
    messages = "batch__messages"
    status = f"{messages}__status"
    return {
        "recipients": Count(messages),
        "sent": Count(messages, filter=Q(**{status: EmailStatus.SENT})),
        "failed": Count(messages, filter=Q(**{status: EmailStatus.FAILED})),
        "suppressed": Count(messages, filter=Q(**{status: EmailStatus.SUPPRESSED})),
        "cancelled": Count(messages, filter=Q(**{status: EmailStatus.CANCELLED})),
        "pending": Count(messages, filter=Q(**{f"{status}__in": waiting})),
    }


def campaign_counts(campaign: Campaign) -> dict[str, int]:
    """Where every recipient stands; ``recipients`` is always the sum of the other five."""
    return Campaign.objects.filter(pk=campaign.pk).aggregate(**count_expressions())


def campaigns_start_due(now: datetime | None = None) -> int:
    """Start every scheduled campaign whose time has come, each in its own transaction; returns how many."""
    now = now or timezone.now()
    started = 0
    due = Campaign.objects.filter(status=CampaignStatus.SCHEDULED, send_at__lte=now).order_by("send_at", "pk")
    for campaign in due:
        try:
            campaign_start(campaign=campaign)
        except (CampaignError, Campaign.DoesNotExist):
            continue  # another worker started, cancelled or deleted it first
        started += 1
    return started


# What the outbox asks and tells ---------------------------------------------------------------------


def subscribers_still_wanted():
    """The outbox checks this in the statement just before each newsletter goes: confirmed subscribers only.

    Unsubscribing, withdrawn consent (which unsubscribes), a bounce or a complaint, or a deleted subscriber,
    each committed before that statement, cancels the message, even within the batch being sent.
    """
    return Subscriber.objects.filter(status=SubscriberStatus.CONFIRMED)


def recipient_link(subscriber_id: int | None) -> dict[str, str]:
    """The subscriber's unsubscribe token, put where the stored body and headers hold ``TOKEN_SLOT`` as the
    message goes (wanted-ness is checked in SQL), so no stored row holds a working token."""
    return {TOKEN_SLOT: unsubscribe_token(subscriber_id or 0)}


def on_batch_finished(sender: type, *, batch: Batch, **kwargs: Any) -> None:
    Campaign.objects.filter(batch=batch, status=CampaignStatus.SENDING).update(
        status=CampaignStatus.FINISHED, finished_at=batch.finished_at
    )


def on_batch_reopened(sender: type, *, batch: Batch, **kwargs: Any) -> None:
    Campaign.objects.filter(batch=batch, status=CampaignStatus.FINISHED).update(
        status=CampaignStatus.SENDING, finished_at=None
    )


def on_message_bounced(sender: type, *, message: OutboundEmail, **kwargs: Any) -> None:
    """A newsletter refused for good by the subscriber's server: they get nothing more."""
    if message.personaliser == PERSONALISER:
        Subscriber.objects.filter(pk=message.personalise_id).update(status=SubscriberStatus.BOUNCED)
