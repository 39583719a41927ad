"""schemathesis against the live schema: every operation, valid and invalid data, a fixed seed, a bounded run.

Signed in as Uma (a therapist) with a token, in a world where every route has data in and out of her
scope, and with her client's working link for the respondent's endpoints. Any 5xx, any response that
does not match the schema (body, status code, content type, headers), invalid data accepted, or
credentials ignored fail the run. The report (operations, examples, failures) is printed at the end
of the test session.

Each operation's cases come from schemathesis' Hypothesis strategy (``APIOperation.as_strategy``),
positive and negative, under a fixed seed; its pytest plugin is not used, as it does not yet run on
this pytest.
"""

from __future__ import annotations

import os
import time

import hypothesis
import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from schemathesis import GenerationMode

from practice.accounts.tokens import api_token_create

#: A fixed seed and a bounded run in ``make test``; set these to explore further by hand.
SEED = int(os.environ.get("TANDEM_FUZZ_SEED", "20261129"))
#: Examples per operation and data mode (positive, negative).
MAX_EXAMPLES = int(os.environ.get("TANDEM_FUZZ_EXAMPLES", "25"))

#: What every response must pass. Schema conformance covers bodies, status codes, content types and headers.
CHECKS = [
    schemathesis.checks.not_a_server_error,
    schemathesis.checks.status_code_conformance,
    schemathesis.checks.content_type_conformance,
    schemathesis.checks.response_schema_conformance,
    schemathesis.checks.response_headers_conformance,
    schemathesis.checks.negative_data_rejection,
    schemathesis.checks.ignored_auth,
]

#: (operation, mode) -> [examples, failures, seconds]; printed by ``pytest_terminal_summary`` in this folder's conftest.
REPORT: dict[tuple[str, str], list[int]] = {}
FAILURES: list[str] = []


@pytest.fixture
def keep_connection():
    """The app is called as WSGI, which closes the database connection after each request; Django's test
    client stops that too, or the test's transaction (and its data) would go with it."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def uma_couple(world, uma, make_client, make_version, consenting):
    """Uma's client Fiona and her partner, who have both answered a questionnaire for couples: the couple
    routes then have a report to build (ids start at 1, which the fuzzer tries often)."""
    from clients.couples.services import couple_assignment_create, couple_link
    from tests.assessments.conftest import small_document
    from tests.clients.couples_fixtures import answer

    version = make_version(small_document("us-check") | {"couples": True})
    partner = consenting(make_client(uma, first_name="Finn"))
    pair = couple_assignment_create(
        couple=couple_link(partner_a=world["uma"].client, partner_b=partner), version=version
    )
    answer(pair.assignment_a, {"low": "1", "calm": "2"})
    answer(pair.assignment_b, {"low": "3", "calm": "0"})
    return pair


@pytest.fixture
def api_schema(world, uma, settings, keep_connection, uma_couple):
    settings.ASSESSMENTS_LINK_RATE_LIMIT = (0, 600)  # the limit has its own test; here it would only answer 429
    settings.TANDEM_API_DOCS_PUBLIC = True  # the schema is read without a session, as in development
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"user": "1000000/hour"}}
    _token, raw = api_token_create(user=uma, name="fuzzing", days=1)
    config = schemathesis.Config.from_dict(
        {
            "seed": SEED,
            "headers": {"Authorization": f"Token {raw}"},
            "parameters": {"header.X-Link-Token": world["uma"].token},
            "generation": {"with-security-parameters": False},
        }
    )
    return schemathesis.openapi.from_wsgi("/api/schema/?format=json", get_wsgi_application(), config=config)


def fuzz(operation, mode: GenerationMode) -> None:
    entry = REPORT.setdefault((operation.label, mode.value), [0, 0, 0.0])
    started = time.monotonic()

    @hypothesis.seed(SEED)
    @hypothesis.settings(
        max_examples=MAX_EXAMPLES,
        database=None,
        deadline=None,
        derandomize=False,
        suppress_health_check=list(hypothesis.HealthCheck),
        phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate, hypothesis.Phase.shrink],
        verbosity=hypothesis.Verbosity.quiet,
    )
    @hypothesis.given(case=operation.as_strategy(generation_mode=mode))
    def run(case) -> None:
        entry[0] += 1
        case.call_and_validate(checks=CHECKS)

    try:
        run()
    except (Exception, BaseExceptionGroup) as exc:  # every operation runs; the failures are reported together
        entry[1] += 1
        FAILURES.append(f"{operation.label} ({mode.value}):\n{exc}")
    entry[2] = time.monotonic() - started


def test_every_operation_survives_fuzzing_with_valid_and_invalid_data(api_schema):
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 20
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            fuzz(operation, mode)
    assert FAILURES == []


def report_lines() -> list[str]:
    """The fuzzing report: each operation with its examples and failures per mode, and the totals."""
    if not REPORT:
        return []
    width = max(len(label) for label, _mode in REPORT)
    lines = [f"{'operation'.ljust(width)}  mode      examples  failures  seconds"]
    for (label, mode), (examples, failures, seconds) in sorted(REPORT.items()):
        lines.append(f"{label.ljust(width)}  {mode:<8}  {examples:>8}  {failures:>8}  {seconds:>7.1f}")
    operations = len({label for label, _mode in REPORT})
    examples = sum(entry[0] for entry in REPORT.values())
    failures = sum(entry[1] for entry in REPORT.values())
    lines.append(f"{operations} operations, {examples} examples, {failures} failures (seed {SEED})")
    lines.extend(FAILURES)
    return lines
