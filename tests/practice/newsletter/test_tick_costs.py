"""Campaign start costs what is due: one indexed query when nothing is scheduled for now."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from practice.newsletter.campaigns import campaigns_start_due
from practice.newsletter.models import Campaign, CampaignStatus


def test_a_quiet_campaign_start_is_one_query_however_many_campaigns_exist(harbour, django_assert_num_queries):
    later = timezone.now() + timedelta(days=1)
    Campaign.objects.bulk_create(
        Campaign(practice=harbour, subject=f"Issue {i}", body_markdown="Hi", status=status, send_at=later)
        for i, status in enumerate([CampaignStatus.FINISHED] * 30 + [CampaignStatus.SCHEDULED] * 5)
    )
    with django_assert_num_queries(1):
        assert campaigns_start_due(timezone.now()) == 0
