"""What each staff role may do, kept in one place.

Migrations create the role groups; after every ``migrate`` (and every test flush) the
groups are topped up with any permission listed here that they lack, so a permission
added by a later release reaches existing installations. Nothing is ever removed: a
practice may have tightened a group on purpose.
"""

from __future__ import annotations

from django.db.models import Q

from practice.models import ROLE_GROUPS, Role

#: Assigning questionnaires and reading the answers: every therapist, for their own clients.
ASSIGNING = (
    "assessments.view_assignment",
    "assessments.add_assignment",
    "assessments.change_assignment",
    "assessments.view_assignmentschedule",
    "assessments.add_assignmentschedule",
    "assessments.change_assignmentschedule",
    "assessments.view_response",
    "assessments.view_accessevent",
)

#: Booking and keeping appointments, and tying questionnaires to them: every therapist, for their own clients.
APPOINTMENTS = (
    "clients.view_appointment",
    "clients.add_appointment",
    "clients.change_appointment",
    "clients.view_questionnaireplan",
    "clients.add_questionnaireplan",
    "clients.change_questionnaireplan",
    "clients.view_plannedassignment",
)

#: Couples seen together: every therapist, for couples whose partners are both theirs.
COUPLES = (
    "clients.view_couple",
    "clients.add_couple",
    "clients.change_couple",
    "clients.view_coupleassignment",
    "clients.add_coupleassignment",
    "clients.change_coupleassignment",
)

ROLE_PERMISSIONS: dict[str, tuple[str, ...]] = {
    Role.OWNER: (
        "practice.view_practice",
        "practice.change_practice",
        "practice.view_membership",
        "practice.change_membership",
        "clients.view_client",
        "clients.add_client",
        "clients.change_client",
        "clients.delete_client",
        "clients.view_consentrecord",
        "clients.view_erasurerecord",
        *APPOINTMENTS,
        *COUPLES,
        "clients.delete_appointment",
        "clients.delete_questionnaireplan",
        # The questionnaire engine: owners author instruments for the practice.
        *(
            f"assessments.{action}_{model}"
            for model in ("instrumentversion", "item", "answerscale", "answeroption", "scale", "band")
            for action in ("view", "add", "change", "delete")
        ),
        "assessments.view_instrument",
        *ASSIGNING,
        # Mail: owners watch the outbox and the suppression list; everyone writes the newsletter.
        "mail.view_outboundemail",
        "mail.change_outboundemail",
        "mail.view_suppression",
        "mail.add_suppression",
        "mail.delete_suppression",
        *(
            f"newsletter.{action}_{model}"
            for model in ("subscriber", "campaign")
            for action in ("view", "add", "change")
        ),
        "newsletter.delete_campaign",
        # The blog feed whose new posts become newsletters is the owners' to set.
        *(f"newsletter.{action}_blogfeed" for action in ("view", "add", "change", "delete")),
        "newsletter.view_feedpost",
    ),
    Role.THERAPIST: (
        "practice.view_practice",
        "clients.view_client",
        "clients.add_client",
        "clients.change_client",
        "clients.view_consentrecord",
        *APPOINTMENTS,
        *COUPLES,
        "assessments.view_instrument",
        "assessments.view_instrumentversion",
        *ASSIGNING,
        "newsletter.view_subscriber",
        *(f"newsletter.{action}_campaign" for action in ("view", "add", "change")),
    ),
}


def role_groups_ensure(*, using: str = "default") -> None:
    """Create the role groups if missing and give them every permission they should have."""
    from django.contrib.auth.models import Group, Permission

    for role, names in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.using(using).get_or_create(name=ROLE_GROUPS[role])
        wanted = Q(pk__in=[])
        for name in names:
            app_label, codename = name.split(".")
            wanted |= Q(content_type__app_label=app_label, codename=codename)
        group.permissions.add(*Permission.objects.using(using).filter(wanted))
