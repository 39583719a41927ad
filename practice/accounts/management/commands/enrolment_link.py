"""``python manage.py enrolment_link NAME``: a one-time link to set up two-factor sign-in, for someone with no
practice to email it from (the first superuser) or whose email does not arrive. Printed once, valid a day."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from practice.accounts.enrolment import enrolment_link_issue


class Command(BaseCommand):
    help = "Make a one-time link that lets a staff account with no second factor enrol one; prints it."

    def add_arguments(self, parser) -> None:
        parser.add_argument("username")

    def handle(self, *args, username: str, **options) -> None:
        user = get_user_model()._default_manager.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(f"No active account is called {username!r}.")
        from practice.accounts.enrolment import enrolment_url
        from practice.accounts.models import EnrolmentLink

        link, url = enrolment_link_issue(user=user)
        if url is None:  # it was emailed; a printed one replaces it
            from practice.accounts import enrolment

            url = enrolment_url(enrolment._mint(EnrolmentLink.objects.get(pk=link.pk)))
        self.stdout.write(url)
