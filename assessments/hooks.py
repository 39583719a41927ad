"""What the host project tells the questionnaire engine: who may see whom, and how mail goes out.

``assessments`` knows nothing of practices or therapists. The host names a subclass of
``DefaultHooks`` in ``ASSESSMENTS_HOOKS``; every method has a safe default, and scoping fails
closed: by default only superusers see respondents in the admin.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any

from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.module_loading import import_string

from assessments import app_settings

if TYPE_CHECKING:
    from django.db.models import QuerySet

    from assessments.models import Assignment


class DefaultHooks:
    """Hooks for a project that brings none: Django's mail API, superusers see everyone."""

    def respondents_for_user(self, user: Any) -> QuerySet:
        """The respondents ``user`` may see and assign to in the admin. Fails closed."""
        model = app_settings.get_respondent_model()
        if getattr(user, "is_active", False) and getattr(user, "is_superuser", False):
            return model._default_manager.all()
        return model._default_manager.none()

    def reliability_scope(self, user: Any) -> str:
        """Who shares the reliabilities ``user`` adopts from their own responses (see ``AdoptedReliability``).

        A short key, e.g. ``"practice:3"``; an adoption applies to the score pages of every user with
        the same key. Default: each signed-in user on their own; ``""`` (nobody's) otherwise.
        """
        if getattr(user, "is_authenticated", False) and getattr(user, "is_active", False):
            return f"user:{user.pk}"
        return ""

    def sees_technical_details(self, user: Any, respondent_id: Any) -> bool:
        """Whether ``user`` is shown the technical details (reminder slots, saved page, question order) of rows
        about this respondent, in a collapsed section of their admin pages. Default: superusers only."""
        return bool(getattr(user, "is_active", False) and getattr(user, "is_superuser", False))

    def instrument_owners_for_user(self, user: Any) -> Any:
        """The owners (``ASSESSMENTS_OWNER_MODEL`` rows, or their ids, or a subquery of ids) ``user`` acts for.

        ``user`` sees the library and these owners' instruments, and changes these owners' only (as far
        as their model permissions go). Default: none, so without a host everything is library and
        only superusers author. Never called for superusers or anyone not signed in.
        """
        return []

    def owner_for_new_instrument(self, user: Any) -> Any:
        """Who owns an instrument ``user`` imports or copies (an owner's pk), or None for the library.

        Only a superuser may add to the library; for anyone else None refuses the import. Default: None.
        """
        return None

    def may_contact(self, respondent: Any) -> bool:
        """Whether invitations and reminders may be emailed to ``respondent`` now."""
        return bool(getattr(respondent, "email", ""))

    def is_active(self, respondent: Any) -> bool:
        """Whether repeating questionnaires go on for ``respondent`` (a host stops them at discharge)."""
        return getattr(respondent, "is_active", True)

    def page_context(self, assignment: Assignment) -> dict[str, Any]:
        """Extra context for the respondent's pages, e.g. the host's name and contact address.

        Called on every link page: keep it cheap (``assignment.respondent_id`` costs nothing; the
        respondent itself is a query).
        """
        return {}

    def link_url(self, raw_token: str) -> str:
        return app_settings.site_url() + reverse("assessments:start", args=[raw_token])

    def send_invitation(self, assignment: Assignment) -> None:
        """Email the invitation. Called inside the transaction that marks it sent, once per invitation."""
        self._send(assignment, "invitation")

    def send_reminder(self, assignment: Assignment, number: int) -> None:
        """Email reminder ``number`` (1, 2…). Called inside the transaction that claims its slot."""
        self._send(assignment, "reminder")

    def assignment_completed(self, assignment: Assignment) -> None:
        """Tell whoever assigned it; called inside the submitting transaction. Default: nothing."""

    def _send(self, assignment: Assignment, name: str) -> None:
        from assessments.links import link_issue

        context = {"assignment": assignment, "url": self.link_url(link_issue(assignment=assignment))}
        subject = " ".join(render_to_string(f"assessments/email/{name}_subject.txt", context).split())
        text = render_to_string(f"assessments/email/{name}.txt", context)
        send_mail(subject, text, None, [assignment.respondent.email])


@cache
def _hooks_class(path: str) -> type[DefaultHooks]:
    return import_string(path)


def get_hooks() -> DefaultHooks:
    return _hooks_class(app_settings.hooks_path())()
