"""``python manage.py api_token_create NAME --name "booking site" --days 90``: make an API token and print it once.

For people with access to the server (the demo, a first script); staff make their own under /admin/api-tokens/.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from practice.accounts.tokens import api_token_create, max_days


class Command(BaseCommand):
    help = "Make an API token for a staff member and print it (only its hash is kept)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("username")
        parser.add_argument("--name", default="Made on the server")
        parser.add_argument("--days", type=int, default=30, help=f"days until it expires (at most {max_days()})")

    def handle(self, *args, username: str, name: str, days: int, **options) -> None:
        user = get_user_model()._default_manager.filter(username=username, is_active=True, is_staff=True).first()
        if user is None:
            raise CommandError(f"No active staff member is called {username!r}.")
        token, raw = api_token_create(user=user, name=name, days=days)
        self.stdout.write(raw)
        self.stderr.write(f"Expires {token.expires_at:%Y-%m-%d %H:%M} UTC; it is shown only now.")
