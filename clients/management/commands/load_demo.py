from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from clients.demo import demo_load


class Command(BaseCommand):
    help = "Create (or refresh) the fictional demo practice and print its logins."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--allow-production",
            action="store_true",
            help="Load the demo even with DEBUG off (its passwords are public: never on a real practice).",
        )

    def handle(self, *args, allow_production: bool = False, **options) -> None:
        if not settings.DEBUG and not allow_production:
            raise CommandError("Refusing to load the demo with DEBUG off: its passwords are public.")
        logins = demo_load()
        self.stdout.write(self.style.SUCCESS("Demo practice ready. Sign in at /admin/ as:"))
        for login in logins:
            self.stdout.write(f"  {login.role:<10} username {login.username:<12} password {login.password}")
