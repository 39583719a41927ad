"""Celery tasks of the practice app: they take ids, load rows and call one service."""

from __future__ import annotations

import logging

from celery import shared_task
from django.contrib.auth import get_user_model

from practice import services
from practice.models import Practice

logger = logging.getLogger(__name__)


@shared_task(name="practice.send_email_check")
def send_email_check(practice_id: int, user_id: int) -> None:
    practice = Practice.objects.filter(pk=practice_id).first()
    user = get_user_model()._default_manager.filter(pk=user_id, is_active=True).first()
    if practice is None or user is None:
        logger.warning("Test email skipped: practice %s or user %s no longer exists.", practice_id, user_id)
        return
    services.email_check_send(practice=practice, user=user)
    logger.info("Test email for practice %s sent to user %s.", practice_id, user_id)
