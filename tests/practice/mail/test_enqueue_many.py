"""Many rows at once (a newsletter's recipients): set-based, and never twice."""

from __future__ import annotations

from django.db import connection
from django.utils import timezone

from practice.mail import outbox
from practice.mail.batches import batch_create
from practice.mail.models import EmailStatus, OutboundEmail


def rows(practice, batch, n: int):
    now = timezone.now()
    return [
        OutboundEmail(
            practice=practice,
            idempotency_key=f"bulk:{i}",
            kind="newsletter",
            to_email=f"reader{i}@example.net",
            subject="News",
            body_text=f"Hello {i}",
            body_html=f"<p>Hello {i}</p>",
            headers={"List-Id": f"<{i}.example>"},
            message_id=outbox.new_message_id(practice),
            status=EmailStatus.PENDING,
            due_at=now,
            batch=batch,
        )
        for i in range(n)
    ]


def test_rows_for_a_new_batch_are_written_once_with_every_value(harbour):
    batch = batch_create(practice=harbour, label="News")
    assert outbox.enqueue_many(rows(harbour, batch, 25), into_new_batch=batch) == 25
    stored = OutboundEmail.objects.get(idempotency_key="bulk:7")
    assert (stored.to_email, stored.body_text, stored.headers) == (
        "reader7@example.net",
        "Hello 7",
        {"List-Id": "<7.example>"},
    )
    assert stored.batch_id == batch.pk and stored.created_at is not None and stored.attachments == []


def test_each_row_keeps_its_own_values_where_its_neighbours_share_theirs(harbour):
    """Values are prepared once and reused while they repeat; a JSON value that only looks equal
    (``1 == True`` in Python) is still its own. On PostgreSQL one write's rows share one creation time."""
    batch = batch_create(practice=harbour, label="News")
    written = rows(harbour, batch, 4)
    for row, headers in zip(written, [{"n": "a"}, {"n": "a"}, {"n": 1}, {"n": True}], strict=True):
        row.headers = headers
    outbox.enqueue_many(written, into_new_batch=batch)
    stored = OutboundEmail.objects.filter(batch=batch).order_by("idempotency_key")
    assert [row.headers for row in stored] == [{"n": "a"}, {"n": "a"}, {"n": 1}, {"n": True}]
    assert [type(row.headers["n"]) for row in stored] == [str, str, int, bool]
    assert all(row.created_at for row in stored)
    if connection.vendor == "postgresql":
        assert len({row.created_at for row in stored}) == 1


def test_writing_the_same_rows_again_adds_nothing(harbour):
    batch = batch_create(practice=harbour, label="News")
    rows_before = rows(harbour, batch, 10)
    outbox.enqueue_many(rows_before, into_new_batch=batch)
    again = rows(harbour, batch, 12)
    for row in again:
        row.message_id = outbox.new_message_id(harbour)
    outbox.enqueue_many(again, into_new_batch=batch)  # the batch has rows: only the new keys go in
    assert OutboundEmail.objects.count() == 12
    assert set(OutboundEmail.objects.filter(idempotency_key="bulk:3").values_list("message_id", flat=True)) == {
        next(row.message_id for row in rows_before if row.idempotency_key == "bulk:3")
    }


def test_a_large_write_leaves_the_planner_ready_to_claim_in_due_order(
    postgres, harbour, django_capture_on_commit_callbacks
):
    """Right after a campaign's rows are written, the first claims read them in order through the partial
    index, rather than sorting them all on statistics that predate the write."""

    batch = batch_create(practice=harbour, label="News")
    with django_capture_on_commit_callbacks(execute=True):
        assert outbox.enqueue_many(rows(harbour, batch, outbox.ANALYZE_AFTER_ROWS), into_new_batch=batch) == 5000
    plan = outbox.claimable(timezone.now(), single=False)[:50].explain()
    assert "outbox_due_idx" in plan and "Sort" not in plan, plan


def test_a_message_to_one_person_is_claimed_before_a_large_campaign_due_earlier(harbour):
    """An invitation queued while a newsletter is going out waits for no newsletter."""
    from datetime import timedelta

    batch = batch_create(practice=harbour, label="News")
    campaign = rows(harbour, batch, 120)
    for row in campaign:
        row.due_at -= timedelta(hours=1)
    outbox.enqueue_many(campaign, into_new_batch=batch)
    invitation = outbox.enqueue(
        practice=harbour, key="invite:1", kind="invitation", to="fiona@example.net", subject="Hi", text="A link"
    )
    _token, claimed = outbox.claim(50)
    assert len(claimed) == 50 and claimed[0].pk == invitation.pk
    assert [row.due_at for row in claimed[1:]] == sorted(row.due_at for row in claimed[1:])


def test_the_claim_for_messages_to_one_person_reads_its_own_index(
    postgres, harbour, django_capture_on_commit_callbacks
):

    batch = batch_create(practice=harbour, label="News")
    with django_capture_on_commit_callbacks(execute=True):
        outbox.enqueue_many(rows(harbour, batch, outbox.ANALYZE_AFTER_ROWS), into_new_batch=batch)
    plan = outbox.claimable(timezone.now(), single=True)[:50].explain()
    assert "outbox_due_single_idx" in plan and "Sort" not in plan, plan
