"""New blog posts become newsletters: the practice's feed is read by beat, each new post handled once.

Reading is careful because the address is typed by a practice and fetched by our server: http(s)
only, no private, loopback or link-local address (unless ``PRACTICE_FEED_ALLOW_PRIVATE_ADDRESSES``,
for tests and intranets), a few redirects at most (each checked again), a timeout per read and for
the whole fetch, and a size limit. The bytes are parsed by feedparser, which never fetches anything
itself here. A feed that cannot be read, or is not a feed, gives the practice a clear status and
sends nothing. Each post is known by its guid (or link): a reordered or re-dated post never goes twice.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import feedparser
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from practice.mail.emails import queue
from practice.mail.models import EmailKind
from practice.models import Membership, Role
from practice.newsletter.campaigns import _sanitised, campaign_start, html_to_text
from practice.newsletter.models import BlogFeed, Campaign, FeedMode, FeedPost, FeedStatus

logger = logging.getLogger(__name__)

USER_AGENT = "Tandem feed reader (+https://tandem.invalid/)"
DIGEST_EVERY = timedelta(days=7)
SUMMARY_LIMIT = 1500


def _setting(name: str, default):
    return getattr(settings, f"PRACTICE_FEED_{name}", default)


class FeedError(Exception):
    """The feed could not be read or is not a feed; the message is shown to the practice."""


# Fetching ---------------------------------------------------------------------------------------------


def _check_address(url: str) -> None:
    """Refuse what is not http(s), and hosts that resolve to a private, loopback or link-local address."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise FeedError(_("The feed address must start with https:// (or http://)."))
    if _setting("ALLOW_PRIVATE_ADDRESSES", False):
        return
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(parts.hostname, parts.port or 443)}
    except (socket.gaierror, UnicodeError) as exc:
        raise FeedError(_("The feed's host name could not be found.")) from exc
    for address in addresses:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
        if not ip.is_global or ip.is_multicast:
            raise FeedError(_("The feed address points at a private or local network address, which is not read."))


class _CheckedRedirects(urllib.request.HTTPRedirectHandler):
    """Follow at most a few redirects, checking each new address as the first."""

    max_redirections = 3

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        _check_address(newurl)
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def fetch(url: str) -> bytes:
    """The feed's bytes, or FeedError saying why not."""
    _check_address(url)
    timeout = float(_setting("TIMEOUT_SECONDS", 5))
    limit = int(_setting("MAX_BYTES", 2 * 1024 * 1024))
    deadline = time.monotonic() + float(_setting("DEADLINE_SECONDS", 15))
    opener = urllib.request.build_opener(_CheckedRedirects())
    opener.addheaders = [("User-Agent", USER_AGENT), ("Accept", "application/rss+xml, application/atom+xml, */*")]
    try:
        with opener.open(url, timeout=timeout) as response:
            declared = response.headers.get("Content-Length")
            if declared and declared.isdigit() and int(declared) > limit:
                raise FeedError(_("The feed is larger than %(mb)s MB and was not read.") % {"mb": limit // 2**20})
            body = bytearray()
            while chunk := response.read(64 * 1024):
                body += chunk
                if len(body) > limit:
                    raise FeedError(_("The feed is larger than %(mb)s MB and was not read.") % {"mb": limit // 2**20})
                if time.monotonic() > deadline:
                    raise FeedError(_("The feed took too long to arrive and was not read."))
            return bytes(body)
    except urllib.error.HTTPError as exc:
        if 300 <= exc.code < 400:
            raise FeedError(_("The feed redirects too often (or in a loop) and was not read.")) from exc
        raise FeedError(_("The blog answered %(code)s for the feed address.") % {"code": exc.code}) from exc
    except TimeoutError as exc:
        raise FeedError(_("The feed took too long to answer and was not read.")) from exc
    except urllib.error.URLError as exc:
        if isinstance(exc.reason, FeedError):
            raise exc.reason from exc
        if isinstance(exc.reason, TimeoutError):
            raise FeedError(_("The feed took too long to answer and was not read.")) from exc
        raise FeedError(_("The feed could not be reached: %(reason)s") % {"reason": exc.reason}) from exc
    except (OSError, ValueError) as exc:
        raise FeedError(_("The feed could not be read: %(reason)s") % {"reason": exc}) from exc


# Parsing ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Post:
    key: str
    link: str
    title: str
    summary: str
    published_at: datetime | None


def _web_link(value: str) -> str:
    return value if urlsplit(value).scheme in ("http", "https") else ""


def parse(data: bytes) -> list[Post]:
    """The posts of a feed, oldest first, with text only (content sanitised by nh3, then made plain)."""
    parsed = feedparser.parse(data, sanitize_html=True, resolve_relative_uris=False)
    if parsed.get("bozo") and not isinstance(parsed.get("bozo_exception"), feedparser.CharacterEncodingOverride):
        raise FeedError(_("This is not a valid RSS or Atom feed: %(error)s") % {"error": parsed.get("bozo_exception")})
    if not parsed.get("version"):
        raise FeedError(_("This is not an RSS or Atom feed."))
    posts = []
    for entry in parsed.entries:
        link = _web_link(entry.get("link", ""))
        key = (entry.get("id") or link or "").strip()[:500]
        if not key:
            continue
        title = html_to_text(_sanitised(entry.get("title", ""))) or link or _("New post")
        content = entry.get("summary") or (entry.get("content") or [{}])[0].get("value", "")
        summary = html_to_text(_sanitised(content))
        if len(summary) > SUMMARY_LIMIT:
            summary = summary[:SUMMARY_LIMIT].rsplit(" ", 1)[0] + " …"
        stamp = entry.get("published_parsed") or entry.get("updated_parsed")
        published = datetime(*stamp[:6], tzinfo=UTC) if stamp else None
        posts.append(
            Post(key=key, link=link[:500], title=" ".join(title.split())[:200], summary=summary, published_at=published)
        )
    posts.reverse()  # feeds list the newest first
    return posts


# Handling -----------------------------------------------------------------------------------------------


def _markdown_text(text: str) -> str:
    """Plain text as Markdown that means itself (no headings, links or HTML of its own)."""
    specials = "\\`*_{}[]()<>#+-.!|"
    return "".join("\\" + char if char in specials else char for char in text)


def post_markdown(post: FeedPost) -> str:
    body = _markdown_text(post.summary)
    if post.link:
        body += f"\n\n[{_markdown_text(_('Read the whole post'))}]({post.link})"
    return body


def _owners(practice) -> list:
    memberships = Membership.objects.filter(practice=practice, role=Role.OWNER).select_related("user")
    return [m.user for m in memberships if m.user.email and m.user.is_active]


def _tell_owners_of_draft(campaign: Campaign) -> None:
    from django.urls import reverse

    url = settings.TANDEM_SITE_URL + reverse("admin:newsletter_campaign_change", args=[campaign.pk])
    for owner in _owners(campaign.practice):
        queue(
            "newsletter/email/feed_draft",
            practice=campaign.practice,
            to=owner.email,
            key=f"feed-draft:{campaign.pk}:{owner.pk}",
            kind=EmailKind.NOTIFICATION,
            context={"campaign": campaign, "campaign_url": url, "recipient_name": owner.get_short_name()},
        )


def _seen(feed: BlogFeed, post: Post) -> bool:
    known = FeedPost.objects.filter(feed=feed, key=post.key)
    if post.link:
        known = known | FeedPost.objects.filter(feed=feed, link=post.link)
    return known.exists()


@transaction.atomic
def _handle(feed: BlogFeed, post: Post) -> FeedPost | None:
    """Record a new post and act on it as the owner chose; None when it was seen before."""
    if _seen(feed, post):
        return None
    try:
        with transaction.atomic():
            row = FeedPost.objects.create(
                practice_id=feed.practice_id,
                feed=feed,
                key=post.key,
                link=post.link,
                title=post.title,
                summary=post.summary,
                published_at=post.published_at,
            )
    except IntegrityError:  # another beat recorded it a moment ago
        return None
    if feed.mode == FeedMode.DIGEST:
        return row
    campaign = Campaign.objects.create(
        practice_id=feed.practice_id, subject=post.title, preheader=post.summary[:200], body_markdown=post_markdown(row)
    )
    FeedPost.objects.filter(pk=row.pk).update(campaign=campaign)
    if feed.mode == FeedMode.AUTOMATIC:
        campaign_start(campaign=campaign)
    else:
        _tell_owners_of_draft(campaign)
    return row


def feed_read(*, feed: BlogFeed) -> int:
    """Read one feed and handle its new posts; returns how many were new. Failures become the feed's status.

    The first reading only records the posts already there (the blog's archive is not news); from the
    next reading on, each post never seen before is handled.
    """
    now = timezone.now()
    try:
        posts = parse(fetch(feed.url))
    except FeedError as exc:
        BlogFeed.objects.filter(pk=feed.pk).update(status=FeedStatus.FAILED, status_detail=str(exc), checked_at=now)
        logger.info("Blog feed %s could not be read: %s", feed.pk, exc)
        return 0
    first = not FeedPost.objects.filter(feed=feed).exists() and feed.status == FeedStatus.WAITING
    new = 0
    for post in posts:
        if first:
            if not _seen(feed, post):
                FeedPost.objects.create(
                    practice_id=feed.practice_id, feed=feed, key=post.key, link=post.link, title=post.title,
                    summary=post.summary, published_at=post.published_at, from_archive=True,
                )  # fmt: skip
            continue
        new += _handle(feed, post) is not None
    detail = _("%(count)s posts in the feed, %(new)s new.") % {"count": len(posts), "new": new}
    if first:
        detail = _("%(count)s posts already in the feed were noted; new posts from now on become newsletters.") % {
            "count": len(posts)
        }
    BlogFeed.objects.filter(pk=feed.pk).update(status=FeedStatus.OK, status_detail=detail, checked_at=now)
    return new


def feeds_read() -> int:
    """Read every active feed (beat, hourly); returns how many new posts were handled."""
    return sum(feed_read(feed=feed) for feed in BlogFeed.objects.filter(active=True).order_by("pk"))


@transaction.atomic
def digest_send(*, feed: BlogFeed, now: datetime | None = None) -> Campaign | None:
    """A week's new posts as one campaign, sent; a week with no new post sends nothing."""
    now = now or timezone.now()
    feed = BlogFeed.objects.select_for_update().get(pk=feed.pk)
    if feed.mode != FeedMode.DIGEST or now - (feed.digest_sent_at or feed.created_at) < DIGEST_EVERY:
        return None
    posts = list(
        FeedPost.objects.filter(feed=feed, campaign__isnull=True, from_archive=False).order_by("seen_at", "pk")
    )
    BlogFeed.objects.filter(pk=feed.pk).update(digest_sent_at=now)  # the next week starts now
    if not posts:
        return None
    sections = []
    for post in posts:
        section = f"## {_markdown_text(post.title)}\n\n{_markdown_text(post.summary)}"
        if post.link:
            section += f"\n\n[{_markdown_text(_('Read the whole post'))}]({post.link})"
        sections.append(section)
    campaign = Campaign.objects.create(
        practice_id=feed.practice_id,
        subject=_("New on our blog: %(title)s") % {"title": posts[-1].title}
        if len(posts) == 1
        else _("%(count)s new posts on our blog") % {"count": len(posts)},
        body_markdown="\n\n".join(sections),
    )
    FeedPost.objects.filter(pk__in=[post.pk for post in posts]).update(campaign=campaign)
    campaign_start(campaign=campaign)
    return campaign


def digests_send(now: datetime | None = None) -> int:
    """Send each digest whose week is over (beat, daily)."""
    sent = 0
    for feed in BlogFeed.objects.filter(active=True, mode=FeedMode.DIGEST).order_by("pk"):
        sent += digest_send(feed=feed, now=now) is not None
    return sent


def feed_failed_alert(request) -> dict | None:
    """The front page says so when the practice's blog feed could not be read, and why."""
    from django.urls import reverse

    if not request.user.has_perm("newsletter.view_blogfeed"):
        return None
    feed = BlogFeed.objects.for_user(request.user).filter(active=True, status=FeedStatus.FAILED).first()
    if feed is None:
        return None
    return {
        "message": _("The blog feed could not be read; nothing was sent from it."),
        "detail": feed.status_detail,
        "link_text": _("Open the blog feed"),
        "url": reverse("admin:newsletter_blogfeed_change", args=[feed.pk]),
    }
