"""Celery tasks of the newsletter: they take ids, load rows and call one service."""

from __future__ import annotations

import logging

from celery import shared_task

logger = logging.getLogger(__name__)


@shared_task(name="newsletter.start_due_campaigns", acks_late=True)
def start_due_campaigns() -> int:
    """Start scheduled newsletter campaigns whose time has come; beat runs it every minute."""
    from django.utils import timezone

    from practice.newsletter.campaigns import campaigns_start_due

    started = campaigns_start_due(timezone.now())
    if started:
        logger.info("Started %s scheduled campaign(s)", started)
    return started


@shared_task(name="newsletter.read_feeds", acks_late=True)
def read_feeds() -> int:
    """Read every practice's blog feed and turn new posts into newsletters; beat runs it hourly."""
    from practice.newsletter.feeds import feeds_read

    return feeds_read()


@shared_task(name="newsletter.send_digests", acks_late=True)
def send_digests() -> int:
    """Send the weekly digests of new blog posts whose week is over; beat runs it daily."""
    from practice.newsletter.feeds import digests_send

    return digests_send()
