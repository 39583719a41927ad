"""The practice every benchmark works in (imported after ``django.setup()``)."""

from __future__ import annotations


def bench_practice_create():
    from practice.models import Practice

    return Practice.objects.create(
        name="Bench Practice",
        contact_email="hello@bench.example",
        sender_name="Bench Practice",
        sender_email="hello@bench.example",
        postal_address="1 Bench Street",
    )
