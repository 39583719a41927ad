"""``python manage.py account_unlock NAME``: lift the per-account sign-in lock (and django-axes' pauses) for NAME."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from practice.accounts.lockout import account_unlock


class Command(BaseCommand):
    help = "Unlock a staff account locked after too many failed sign-ins, and forget its failures."

    def add_arguments(self, parser) -> None:
        parser.add_argument("username")

    def handle(self, *args, username: str, **options) -> None:
        if account_unlock(username=username):
            self.stdout.write(f"Unlocked {username}.")
        else:
            self.stdout.write(f"{username} was not locked; its failed sign-ins are forgotten.")
