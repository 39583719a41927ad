"""New blog posts become newsletters, read from a real feed server on loopback; hostile feeds send nothing."""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.utils import timezone

from practice.mail.models import EmailKind, OutboundEmail
from practice.newsletter import feeds
from practice.newsletter.models import BlogFeed, Campaign, CampaignStatus, FeedMode, FeedPost, FeedStatus, Subscriber


def rss(*items: tuple[str, str, str], extra: str = "") -> bytes:
    """An RSS 2.0 feed of (guid, title, pubDate-day) items, newest first."""
    body = "".join(
        f"<item><guid>{guid}</guid><title>{title}</title><link>https://blog.example/{guid}</link>"
        f"<pubDate>{day} Dec 2026 09:00:00 GMT</pubDate>"
        f"<description>&lt;p&gt;About {title}.&lt;/p&gt;{extra}</description></item>"
        for guid, title, day in items
    )
    return (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Blog</title><link>https://blog.example/</link>'
        f"<description>d</description>{body}</channel></rss>"
    ).encode()


class FeedServer:
    """A feed server on 127.0.0.1: ``routes`` maps a path to bytes, or to a callable that writes the answer."""

    def __init__(self) -> None:
        self.routes: dict[str, object] = {}
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                route = server.routes.get(self.path)
                if route is None:
                    self.send_error(404)
                elif callable(route):
                    route(self)
                else:
                    self.send_response(200)
                    self.send_header("Content-Type", "application/rss+xml")
                    self.send_header("Content-Length", str(len(route)))
                    self.end_headers()
                    self.wfile.write(route)

            def log_message(self, *args) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server(settings):
    settings.PRACTICE_FEED_ALLOW_PRIVATE_ADDRESSES = True  # the test feed is on loopback
    settings.PRACTICE_FEED_TIMEOUT_SECONDS = 1
    served = FeedServer()
    yield served
    served.close()


@pytest.fixture
def feed(harbour, tess, server):
    Subscriber.objects.create(practice=harbour, email="reader@example.net", status="confirmed")
    return BlogFeed.objects.create(practice=harbour, url=server.url + "/feed.xml", mode=FeedMode.DRAFT)


def read(feed: BlogFeed) -> BlogFeed:
    feeds.feed_read(feed=feed)
    feed.refresh_from_db()
    return feed


def owner_emails() -> list[OutboundEmail]:
    return list(OutboundEmail.objects.filter(kind=EmailKind.NOTIFICATION))


def test_a_new_post_becomes_one_draft_and_one_email_to_the_owner(feed, server):
    server.routes["/feed.xml"] = rss(("old-1", "An older post", "01"))
    assert read(feed).status == FeedStatus.OK  # the archive is noted, not sent
    assert not Campaign.objects.exists()
    server.routes["/feed.xml"] = rss(("new-2", "Sleep &amp; worry", "05"), ("old-1", "An older post", "01"))
    assert "1 new" in read(feed).status_detail
    [campaign] = Campaign.objects.all()
    assert campaign.status == CampaignStatus.DRAFT and campaign.subject == "Sleep & worry"
    assert "About Sleep" in campaign.body_markdown and "https://blog.example/new-2" in campaign.body_markdown
    [email] = owner_emails()
    assert email.to_email == "tess@example.org" and "Sleep & worry" in email.subject
    assert f"/admin/newsletter/campaign/{campaign.pk}/change/" in email.body_text
    assert not OutboundEmail.objects.filter(kind=EmailKind.NEWSLETTER).exists()  # nothing to subscribers


def test_the_same_post_re_dated_or_reordered_sends_nothing_again(feed, server):
    server.routes["/feed.xml"] = rss(("old-1", "Old", "01"))
    read(feed)
    server.routes["/feed.xml"] = rss(("new-2", "New", "05"), ("old-1", "Old", "01"))
    read(feed)
    server.routes["/feed.xml"] = rss(("old-1", "Old", "09"), ("new-2", "New, edited", "08"))  # re-dated, reordered
    assert "0 new" in read(feed).status_detail
    assert Campaign.objects.count() == 1 and len(owner_emails()) == 1
    assert FeedPost.objects.count() == 2


def test_an_automatic_feed_sends_the_new_post_to_subscribers(feed, server):
    feed.mode = FeedMode.AUTOMATIC
    feed.save()
    server.routes["/feed.xml"] = rss(("old-1", "Old", "01"))
    read(feed)
    server.routes["/feed.xml"] = rss(("new-2", "New", "05"), ("old-1", "Old", "01"))
    read(feed)
    [campaign] = Campaign.objects.all()
    assert campaign.status in (CampaignStatus.SENDING, CampaignStatus.FINISHED)
    assert list(OutboundEmail.objects.filter(kind=EmailKind.NEWSLETTER).values_list("to_email", flat=True)) == [
        "reader@example.net"
    ]


def test_a_digest_week_with_no_new_post_sends_nothing_and_one_with_posts_sends_one(feed, server):
    feed.mode = FeedMode.DIGEST
    feed.save()
    server.routes["/feed.xml"] = rss(("old-1", "Old", "01"))
    read(feed)
    week_later = timezone.now() + timedelta(days=7, minutes=1)
    assert feeds.digests_send(now=week_later) == 0  # a week with no new post
    assert not Campaign.objects.exists()
    server.routes["/feed.xml"] = rss(("b", "Second", "06"), ("a", "First", "05"), ("old-1", "Old", "01"))
    read(feed)
    assert not Campaign.objects.exists()  # collected, not sent, until the week is over
    assert feeds.digests_send(now=week_later + timedelta(days=1)) == 0  # the week restarted when it was checked
    assert feeds.digests_send(now=week_later + timedelta(days=7, minutes=2)) == 1
    [campaign] = Campaign.objects.all()
    assert campaign.subject == "2 new posts on our blog"
    assert campaign.body_markdown.index("First") < campaign.body_markdown.index("Second")
    assert feeds.digests_send(now=week_later + timedelta(days=15)) == 0  # each post once


def _slow(handler) -> None:
    time.sleep(30)


def _huge(handler) -> None:
    handler.send_response(200)
    handler.send_header("Content-Type", "application/rss+xml")
    handler.end_headers()
    chunk = b"<!-- " + b"x" * (1024 * 1024) + b" -->"
    try:
        handler.wfile.write(b'<?xml version="1.0"?><rss version="2.0"><channel>')
        for _ in range(50):  # 50 MB, without saying so in advance
            handler.wfile.write(chunk)
    except OSError:
        pass  # the reader gave up, as it should


def _loop(handler) -> None:
    handler.send_response(302)
    handler.send_header("Location", "/feed.xml")
    handler.end_headers()


@pytest.mark.parametrize(
    ("route", "expected"),
    [
        (b"<rss version='2.0'><channel><item><title>Broken</title></channel>", "not a valid RSS or Atom feed"),
        (b"<html><body>Not a feed</body></html>", "not"),
        (_huge, "larger than 2 MB"),
        (_slow, "took too long"),
        (_loop, "redirects too often"),
    ],
    ids=["malformed XML", "not a feed", "50 MB", "a 30 s response", "a redirect loop"],
)
def test_a_hostile_feed_gives_a_clear_status_and_sends_nothing(feed, server, route, expected, client, tess):
    server.routes["/feed.xml"] = route
    FeedPost.objects.create(practice=feed.practice, feed=feed, key="seen", title="Seen")  # past the first reading
    started = time.monotonic()
    feed = read(feed)
    assert time.monotonic() - started < 20
    assert feed.status == FeedStatus.FAILED and expected in feed.status_detail
    assert not Campaign.objects.exists() and not OutboundEmail.objects.exists()
    client.force_login(tess)
    page = client.get("/admin/").content.decode()
    assert "The blog feed could not be read" in page and expected in page


def test_script_in_the_content_never_reaches_the_draft(feed, server):
    hostile = "&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt;"
    server.routes["/feed.xml"] = rss(("old", "Old", "01"))
    read(feed)
    server.routes["/feed.xml"] = rss(("new", "New &lt;script&gt;x()&lt;/script&gt;", "05"), extra=hostile)
    read(feed)
    [campaign] = Campaign.objects.all()
    for text in (campaign.subject, campaign.body_markdown):
        assert "script" not in text.lower() and "onerror" not in text and "alert" not in text
    from practice.newsletter.campaigns import markdown_to_html

    assert "<script" not in markdown_to_html(campaign.body_markdown)


def test_a_loopback_address_is_refused_without_the_setting(harbour, settings, server):
    settings.PRACTICE_FEED_ALLOW_PRIVATE_ADDRESSES = False
    server.routes["/feed.xml"] = rss(("a", "A", "01"))
    feed = read(BlogFeed.objects.create(practice=harbour, url=server.url + "/feed.xml"))
    assert feed.status == FeedStatus.FAILED and "private or local network address" in feed.status_detail
    assert not FeedPost.objects.exists()


@pytest.mark.parametrize(
    "url", ["file:///etc/passwd", "ftp://blog.example/feed", "http://[::1]/feed", "http://10.0.0.8/"]
)
def test_other_schemes_and_private_addresses_are_never_fetched(harbour, settings, url):
    settings.PRACTICE_FEED_ALLOW_PRIVATE_ADDRESSES = False
    feed = read(BlogFeed.objects.create(practice=harbour, url=url))
    assert feed.status == FeedStatus.FAILED


def test_another_practice_cannot_see_the_feed(client, otto, feed):
    client.force_login(otto)
    assert client.get(f"/admin/newsletter/blogfeed/{feed.pk}/change/").status_code in (302, 403, 404)
