"""A client's rights over their data: everything held about them (subject access), erasure, and retention.

What "everything" is comes from introspection, not a list: every model with a relation to the client,
and every model related in turn to those rows, is found through Django's model meta. A relation added
later is included (and erased) without anyone remembering to. Rows about the client's email address
(outbox messages, the newsletter subscription) are found by address.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.db.models import Max
from django.db.models.functions import Coalesce, Greatest
from django.forms.models import model_to_dict
from django.template.loader import render_to_string
from django.utils import timezone

from clients.models import Client, ErasureRecord
from practice.mail.models import OutboundEmail
from practice.newsletter.models import Subscriber

#: Fields never copied into an archive: secrets and machinery, not information about the person.
SECRET_FIELDS = {"token_hash", "lease_token", "password", "personalise_id", "personaliser"}


def _reverse_relations(model: type[models.Model]) -> Iterator[models.ForeignObjectRel]:
    for relation in model._meta.related_objects:
        if relation.related_model is not model:
            yield relation


def rows_about(client: Client) -> dict[str, list[models.Model]]:
    """Every row that refers to the client, directly or through a row that does, keyed by ``app_label.model``.

    Read a generation at a time: one query per relation for all the rows found so far of its model, so the
    number of queries follows the schema, not the client's history (200 responses cost what one does).
    """
    found: dict[str, list[models.Model]] = {}
    seen: set[tuple[str, Any]] = {(Client._meta.label_lower, client.pk)}
    frontier: dict[type[models.Model], list[Any]] = {Client: [client.pk]}
    while frontier:
        arrived: dict[type[models.Model], list[Any]] = {}
        for model, pks in frontier.items():
            for relation in _reverse_relations(model):
                lookup = f"{relation.field.name}__in"
                related = relation.related_model._default_manager.filter(**{lookup: pks})
                if relation.many_to_many:
                    related = related.distinct()
                for row in related.order_by("pk"):
                    key = (row._meta.label_lower, row.pk)
                    if key in seen:
                        continue
                    seen.add(key)
                    found.setdefault(row._meta.label_lower, []).append(row)
                    arrived.setdefault(type(row), []).append(row.pk)
        frontier = arrived
    return found


def emails_to(client: Client):
    return OutboundEmail.objects.filter(practice_id=client.practice_id, to_email__iexact=client.email)


def subscriptions_of(client: Client):
    return Subscriber.objects.filter(practice_id=client.practice_id, email__iexact=client.email)


def _plain(row: models.Model) -> dict[str, Any]:
    data = model_to_dict(row, fields=[f.name for f in row._meta.concrete_fields if f.name not in SECRET_FIELDS])
    data["id"] = row.pk
    return data


def subject_access_archive(client: Client) -> bytes:
    """A zip: ``data.json`` (every row about the client, machine-readable) and ``summary.html`` (for people)."""
    related = rows_about(client)
    data = {
        "generated_at": timezone.now(),
        "client": _plain(client),
        "practice": client.practice.name,
        **{label: [_plain(row) for row in rows] for label, rows in sorted(related.items())},
        "mail.outboundemail": [
            {
                "id": row.pk,
                "kind": row.kind,
                "subject": row.subject,
                "status": row.status,
                "created_at": row.created_at,
                "sent_at": row.sent_at,
            }
            for row in emails_to(client)
        ],
        "newsletter.subscriber": [_plain(row) for row in subscriptions_of(client)],
    }
    summary = render_to_string(
        "clients/privacy/summary.html",
        {
            "client": client,
            "generated_at": data["generated_at"],
            "sections": [{"label": label, "rows": rows} for label, rows in data.items() if isinstance(rows, list)],
        },
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("data.json", json.dumps(data, cls=DjangoJSONEncoder, indent=2, ensure_ascii=False))
        archive.writestr("summary.html", summary)
    return buffer.getvalue()


@transaction.atomic
def client_erase(*, client: Client, by: Any) -> ErasureRecord:
    """Remove the client and every row that refers to them; keep an audit entry that names nobody.

    Messages already sent stay counted (a newsletter's totals) but lose their address and content.
    The suppression list keeps a bounced or complaining address: it exists so that address is never
    mailed again, which erasure must not undo.
    """
    related = rows_about(client)
    counts = {label: len(rows) for label, rows in related.items()}
    counts["mail.outboundemail"] = emails_to(client).update(
        to_email="erased@erased.invalid",
        subject="",
        body_text="",
        body_html="",
        headers={},
        attachments=[],
        last_error="",
    )
    counts["newsletter.subscriber"] = subscriptions_of(client).delete()[0]
    record = ErasureRecord.objects.create(
        practice_id=client.practice_id, erased_by=by, client_number=client.pk, counts=counts
    )
    for relation in _reverse_relations(Client):
        if not relation.many_to_many and relation.on_delete is models.PROTECT:
            relation.related_model._default_manager.filter(**{relation.field.name: client}).delete()
    Client.objects.filter(pk=client.pk).delete()
    return record


def retention_years() -> float:
    """``CLIENTS_RETENTION_YEARS``: how long a record is kept after the last contact (default 8 years)."""
    return float(getattr(settings, "CLIENTS_RETENTION_YEARS", 8))


def last_contact_expression():
    """When the practice last had anything to do with a client: the record, a response, a consent change."""
    return Greatest(
        "updated_at",
        Coalesce(Max("assessment_responses__completed_at"), "created_at"),
        Coalesce(Max("consent_records__at"), "created_at"),
    )


def past_retention(queryset, now: datetime | None = None):
    """Clients whose last contact is older than the retention period (``CLIENTS_RETENTION_YEARS``)."""
    cutoff = (now or timezone.now()) - timedelta(days=round(365.25 * retention_years()))
    return queryset.annotate(last_contact=last_contact_expression()).filter(last_contact__lt=cutoff)


def retention_review(*, now: datetime | None = None) -> dict[int, int]:
    """Tell each practice's owners, once a week, how many records are past their retention time.

    Nothing is erased here: an owner looks at the list and confirms the erasure in the admin.
    """
    from django.urls import reverse

    from practice.mail import emails
    from practice.mail.models import EmailKind
    from practice.models import Membership, Practice, Role

    now = now or timezone.now()
    year, week, _day = now.isocalendar()
    due: dict[int, int] = {}
    for practice in Practice.objects.all():
        count = past_retention(Client.objects.filter(practice=practice), now).count()
        if not count:
            continue
        due[practice.pk] = count
        url = settings.TANDEM_SITE_URL + reverse("admin:clients_client_changelist") + "?retention=past"
        owners = Membership.objects.filter(practice=practice, role=Role.OWNER).select_related("user")
        for membership in owners:
            if membership.user.email:
                emails.queue(
                    "clients/email/retention_due",
                    practice=practice,
                    to=membership.user.email,
                    key=f"retention:{practice.pk}:{membership.user_id}:{year}-W{week:02d}",
                    kind=EmailKind.NOTIFICATION,
                    context={"count": count, "admin_url": url, "years": retention_years()},
                )
    return due
