"""assessments 0017: existing assignments keep the reminder count their page showed; new ones count emails."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from assessments import assignments
from assessments.models import Assignment

BEFORE = [("assessments", "0016_plainer_field_names")]
AFTER = [("assessments", "0017_reminders_emailed")]


def _migrate(targets) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)


@pytest.mark.django_db(transaction=True)
def test_existing_assignments_keep_the_reminder_count_their_page_showed(make_version, cara, consenting):
    consenting(cara)
    version = make_version()
    reminded = assignments.assignment_create(version=version, respondent=cara)
    quiet = assignments.assignment_create(version=version, respondent=cara)
    Assignment.objects.filter(pk=reminded.pk).update(reminders_sent=2)
    try:
        _migrate(BEFORE)
        _migrate(AFTER)
    finally:
        _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
    counts = dict(Assignment.objects.values_list("pk", "reminders_emailed"))
    assert counts == {reminded.pk: 2, quiet.pk: 0}
