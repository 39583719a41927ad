"""A real worker on Redis sends a questionnaire invitation; what travels through the broker is ids only."""

from __future__ import annotations

import json
import re

import pytest
from celery.signals import before_task_publish

from assessments import assignments
from config.celery import app as celery_app
from tests.integration.test_celery_worker import Worker, worker_environment

pytestmark = [pytest.mark.services, pytest.mark.slow]


@pytest.mark.django_db(transaction=True)
def test_the_invitation_goes_through_a_real_worker_and_the_broker_carries_ids_only(
    redis_url, postgres, smtp_server, cara, consenting, make_version, tmp_path
):
    sink, smtp_url = smtp_server
    version = make_version()
    consenting(cara)
    published: list[tuple[str, str]] = []

    def record(sender=None, body=None, **kwargs):
        published.append((sender, json.dumps(body)))

    before_task_publish.connect(record, weak=False)
    celery_app.conf.task_always_eager = False
    celery_app.control.purge()
    worker = Worker(worker_environment(tmp_path, redis_url, smtp_url))
    try:
        assert worker.wait_for("ready."), "".join(worker.lines)
        assignment = assignments.assignment_create(version=version, respondent=cara, message="See you Tuesday")
        messages = sink.wait_for(1)
        assert worker.wait_for("succeeded"), "".join(worker.lines)
    finally:
        worker.stop()
        before_task_publish.disconnect(record)
    assert len(messages) == 1, "".join(worker.lines)
    text = messages[0].get_body(preferencelist=("plain",)).get_content()
    token = re.search(r"/q/([A-Za-z0-9_-]{43})/", text).group(1)
    names = [name for name, _body in published]
    assert "assessments.send_invitation" in names
    for name, body in published:
        args = json.loads(body)[0]
        assert all(isinstance(arg, int) for arg in args), (name, args)
        for secret in (cara.email, cara.first_name, cara.last_name, token, "See you Tuesday", "Mood"):
            assert secret not in body, (name, secret)
    assert [json.loads(body)[0] for name, body in published if name == "assessments.send_invitation"] == [
        [assignment.pk]
    ]
    log = "".join(worker.lines)
    assert cara.email not in log and token not in log
