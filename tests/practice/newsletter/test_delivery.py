"""Newsletters through the outbox against a real SMTP server: the newsletter's hooks at send time."""

from __future__ import annotations

import pytest

from practice.mail import outbox
from practice.mail.batches import batch_create
from practice.mail.models import EmailStatus, OutboundEmail, Suppression
from practice.newsletter.campaigns import PERSONALISER
from tests.practice.mail.test_outbox import put


def newsletter_rows(practice, n: int):
    from practice.newsletter.models import Campaign, CampaignStatus, Subscriber

    batch = batch_create(practice=practice, label="News")
    campaign = Campaign.objects.create(
        practice=practice, subject="News", body_markdown="Hi", status=CampaignStatus.SENDING, batch=batch
    )
    rows = []
    for i in range(n):
        subscriber = Subscriber.objects.create(practice=practice, email=f"reader{i}@example.net", status="confirmed")
        rows += put(
            practice, 1, prefix=f"reader{i}-", batch=batch, personaliser=PERSONALISER, personalise_id=subscriber.pk
        )
    return campaign, rows


def test_a_subscriber_deleted_mid_campaign_gets_nothing(harbour, smtp):
    from practice.newsletter.models import Subscriber

    _campaign, rows = newsletter_rows(harbour, 2)
    Subscriber.objects.filter(email="reader0@example.net").delete()
    outbox.drain()
    assert smtp.received_by() == {"reader1-0@example.net": 1}
    assert OutboundEmail.objects.get(pk=rows[0].pk).status == EmailStatus.CANCELLED


def test_a_finished_campaign_reopens_when_its_failures_are_retried(harbour, smtp, django_capture_on_commit_callbacks):
    from practice.newsletter.models import CampaignStatus, Subscriber

    smtp.refuse["reader0-0@example.net"] = "550 5.1.1 No such user"
    campaign, _rows = newsletter_rows(harbour, 2)
    outbox.drain()
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.FINISHED
    smtp.refuse.clear()  # the mailbox exists again, and staff lift the suppression
    Suppression.objects.all().delete()
    Subscriber.objects.filter(status="bounced").update(status="confirmed")
    with django_capture_on_commit_callbacks(execute=True):
        assert outbox.retry(OutboundEmail.objects.filter(batch=campaign.batch)) == 1
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.FINISHED  # reopened, sent, finished again
    assert smtp.received_by() == {"reader0-0@example.net": 1, "reader1-0@example.net": 1}


def test_pause_after_k_then_resume_with_an_unsubscribe_in_between_through_real_smtp(
    harbour, smtp, settings, monkeypatch, django_capture_on_commit_callbacks
):
    from practice.newsletter.campaigns import campaign_counts, campaign_pause, campaign_resume, campaign_start
    from practice.newsletter.models import Campaign, CampaignStatus, Subscriber

    settings.PRACTICE_OUTBOX_BATCH_SIZE = 3
    for i in range(7):
        Subscriber.objects.create(practice=harbour, email=f"reader{i}@example.net", status="confirmed")
    campaign = Campaign.objects.create(practice=harbour, subject="News", body_markdown="Hello **you**")
    campaign_start(campaign=campaign)
    real_claim, claims = outbox.claim, []

    def claim(*args, **kwargs):
        claims.append(1)
        if len(claims) == 2:  # after k=3 messages, the therapist presses Pause
            campaign_pause(campaign=Campaign.objects.get(pk=campaign.pk))
        return real_claim(*args, **kwargs)

    monkeypatch.setattr(outbox, "claim", claim)
    outbox.drain()
    assert len(smtp.messages) == 3
    sent_first = set(smtp.received_by())
    leaver = Subscriber.objects.exclude(email__in=sent_first).order_by("pk").first()
    leaver.status = "unsubscribed"  # unsubscribes between scheduling and sending
    leaver.save()
    with django_capture_on_commit_callbacks(execute=True):
        campaign_resume(campaign=campaign)
    received = smtp.received_by()
    assert leaver.email not in received
    assert sorted(received.values()) == [1] * 6
    campaign.refresh_from_db()
    counts = campaign_counts(campaign)
    assert campaign.status == CampaignStatus.FINISHED
    assert (counts["recipients"], counts["sent"], counts["cancelled"]) == (7, 6, 1)
    assert counts["recipients"] == counts["sent"] + counts["failed"] + counts["suppressed"] + counts["cancelled"]


def test_subscribers_who_leave_after_their_batch_was_claimed_get_nothing(harbour, smtp, monkeypatch):
    """The "still wanted?" check runs just before each message goes, not once per claimed batch."""
    from practice.newsletter.models import Subscriber
    from practice.newsletter.subscriptions import subscriber_unsubscribe

    _campaign, _rows = newsletter_rows(harbour, 6)
    token, claimed = outbox.claim(50)
    assert len(claimed) == 6  # one batch, all claimed before anyone leaves
    real_start, started = outbox._start_transmitting, []

    def start(row, token, delivered=None):
        started.append(row.pk)
        if len(started) == 2:  # while the second message is being sent, two later ones leave
            for email in ("reader3@example.net", "reader5@example.net"):
                subscriber_unsubscribe(subscriber=Subscriber.objects.get(email=email), source="test")
            Suppression.objects.create(practice=harbour, email="reader4-0@example.net", reason="complaint")
        return real_start(row, token, delivered)

    monkeypatch.setattr(outbox, "_start_transmitting", start)
    report = outbox.DrainReport()
    outbox._send_batch(claimed, token, report, None)
    assert sorted(smtp.received_by()) == ["reader0-0@example.net", "reader1-0@example.net", "reader2-0@example.net"]
    assert (report.sent, report.cancelled, report.suppressed) == (3, 2, 1)
    by_address = dict(OutboundEmail.objects.values_list("to_email", "status"))
    assert [by_address[f"reader{i}-0@example.net"] for i in range(3)] == [EmailStatus.SENT] * 3
    assert by_address["reader3-0@example.net"] == EmailStatus.CANCELLED
    assert by_address["reader4-0@example.net"] == EmailStatus.SUPPRESSED
    assert by_address["reader5-0@example.net"] == EmailStatus.CANCELLED


def test_the_still_wanted_check_costs_no_query_of_its_own(harbour, smtp):
    """Per newsletter one statement on PostgreSQL: it checks the message and marks it as going, and marks the
    one before it sent; the last is marked when the claim's loop ends. Elsewhere those are two UPDATEs."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    _campaign, _rows = newsletter_rows(harbour, 10)
    token, claimed = outbox.claim(50)
    with CaptureQueriesContext(connection) as queries:
        outbox._send_batch(claimed, token, outbox.DrainReport(), None)
    assert len(smtp.messages) == 10
    per_message = [q["sql"] for q in queries.captured_queries if "practice_outboundemail" in q["sql"]]
    assert len(per_message) == (11 if connection.vendor == "postgresql" else 20), per_message
    assert len(queries.captured_queries) <= len(per_message) + 1  # and one that clears the failure count, at most
    rows = OutboundEmail.objects.filter(pk__in=[row.pk for row in claimed])
    assert set(rows.values_list("status", "lease_token", "transmitting_since")) == {(EmailStatus.SENT, "", None)}
    assert rows.filter(sent_at__isnull=True).count() == 0


def test_a_claim_reads_its_batch_and_practice_once_for_all_of_its_rows(harbour, django_assert_max_num_queries):
    """A newsletter's body is kept by its batch: one read of it per claim, shared by the rows, not a copy
    of the whole issue joined to each of them; the same for the practice the rows are sent for."""
    _campaign, _rows = newsletter_rows(harbour, 6)
    # Two reads of what is claimable, the lease, the rows, their practice and their batch, and (in a
    # test's transaction) the savepoint of the claim's own and its release.
    with django_assert_max_num_queries(8):
        _token, claimed = outbox.claim(50)
    assert len(claimed) == 6
    assert len({id(row.batch) for row in claimed}) == 1
    assert len({id(row.practice) for row in claimed}) == 1
    assert claimed[0].practice == harbour


def test_a_message_that_went_is_marked_sent_even_when_the_next_ones_statement_fails(harbour, smtp, monkeypatch):
    """On PostgreSQL a newsletter's "sent" mark rides on the next message's statement; when that statement
    fails, the mark is still made as the loop ends, and the failure is not hidden."""
    from django.db import DatabaseError, connection

    _campaign, _rows = newsletter_rows(harbour, 3)
    token, claimed = outbox.claim(50)
    # What the next message's statement is built from, on PostgreSQL and elsewhere.
    target = "_send_statement" if connection.vendor == "postgresql" else "_still_wanted_rows"
    real, calls = getattr(outbox, target), []

    def failing(token, personaliser):
        calls.append(1)
        if len(calls) == 2:
            raise DatabaseError("the connection was lost")
        return real(token, personaliser)

    monkeypatch.setattr(outbox, target, failing)
    with pytest.raises(DatabaseError):
        outbox._send_batch(claimed, token, outbox.DrainReport(), None)
    assert sorted(smtp.received_by()) == ["reader0-0@example.net"]
    first = OutboundEmail.objects.get(pk=claimed[0].pk)
    assert (first.status, first.lease_token, first.transmitting_since) == (EmailStatus.SENT, "", None)
    assert first.sent_at is not None


def test_a_held_sent_mark_never_touches_a_row_another_worker_took(harbour, smtp, monkeypatch, postgres):
    """The statement that carries a message's "sent" mark checks our lease token, as every mark does."""
    _campaign, _rows = newsletter_rows(harbour, 2)
    token, claimed = outbox.claim(50)
    real_start, started = outbox._start_transmitting, []

    def start(row, token, delivered=None):
        started.append(row.pk)
        if len(started) == 2:  # the first went; its mark is held for this statement
            OutboundEmail.objects.filter(pk=claimed[0].pk).update(lease_token="someone-else")
        return real_start(row, token, delivered)

    monkeypatch.setattr(outbox, "_start_transmitting", start)
    outbox._send_batch(claimed, token, outbox.DrainReport(), None)
    first = OutboundEmail.objects.get(pk=claimed[0].pk)
    assert (first.status, first.lease_token) == (EmailStatus.SENDING, "someone-else")
    assert OutboundEmail.objects.get(pk=claimed[1].pk).status == EmailStatus.SENT


def generic_runs_of_the_send_statement() -> int:
    """How often this connection has run the prepared send statement on its generic plan."""
    from django.db import connection

    with connection.cursor() as cursor:  # raw SQL: a PostgreSQL catalogue view, which no model maps
        cursor.execute(
            "SELECT coalesce(sum(generic_plans), 0) FROM pg_prepared_statements WHERE statement LIKE %s",
            ["%WITH sent AS%"],
        )
        return cursor.fetchone()[0]


@pytest.mark.parametrize("prepared", [True, False], ids=["prepared", "DATABASE_PREPARED_STATEMENTS=0"])
def test_the_send_statement_is_planned_once_per_connection(harbour, smtp, postgres, monkeypatch, prepared):
    """Bound on the server, the per-message statement is the same text for every message, and psycopg
    prepares it: PostgreSQL runs it on a generic plan instead of parsing and planning it each time. With
    preparing off (no ``prepare_threshold``, as ``DATABASE_PREPARED_STATEMENTS=0`` leaves it) the same
    statement runs unprepared, and every message still goes."""
    from django.db import connection

    connection.ensure_connection()
    assert connection.connection.prepare_threshold == 5  # config/settings.py's default
    if not prepared:
        monkeypatch.setattr(connection.connection, "prepare_threshold", None)
    before = generic_runs_of_the_send_statement()
    _campaign, _rows = newsletter_rows(harbour, 12)
    token, claimed = outbox.claim(50)
    outbox._send_batch(claimed, token, outbox.DrainReport(), None)
    assert len(smtp.messages) == 12
    runs = generic_runs_of_the_send_statement() - before
    assert runs >= 1 if prepared else runs == 0
    assert set(OutboundEmail.objects.filter(pk__in=[r.pk for r in claimed]).values_list("status", flat=True)) == {
        EmailStatus.SENT
    }
