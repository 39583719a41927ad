from __future__ import annotations

from django.core.management.base import BaseCommand

from assessments.assignments import reminders_reschedule


class Command(BaseCommand):
    help = (
        "Recompute when each assignment awaiting answers is next reminded, under the current "
        "ASSESSMENTS_REMINDERS. Run it once after changing that setting: the beat reads the stored times."
    )

    def handle(self, *args, **options) -> None:
        changed = reminders_reschedule()
        self.stdout.write(f"{changed} assignment(s) rescheduled.")
