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
