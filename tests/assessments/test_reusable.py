"""The questionnaire engine installs into any Django project: no imports of Tandem's other apps."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

import assessments
from assessments.app_settings import get_owner_model, get_respondent_model
from assessments.checks import owner_model_check, respondent_model_check

ROOT = Path(__file__).resolve().parents[2]
ENGINE = Path(assessments.__file__).resolve().parent


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


def test_the_engine_imports_nothing_from_practice_clients_or_config():
    offenders = {
        f"{path.relative_to(ROOT)}: {module}"
        for path in ENGINE.rglob("*.py")
        for module in imported_modules(path)
        if module.split(".")[0] in {"practice", "clients", "config"}
    }
    assert offenders == set()


def manage(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "django", *args],
        cwd=ROOT,
        env={
            "PATH": os.environ["PATH"],
            "HOME": str(tmp_path),
            "PYTHONPATH": str(ROOT),
            "DJANGO_SETTINGS_MODULE": "tests.standalone.settings",
            "STANDALONE_DB": str(tmp_path / "standalone.sqlite3"),
        },
        capture_output=True,
        text=True,
        timeout=180,
    )


@pytest.mark.slow
def test_the_engine_installs_migrates_and_scores_without_practice_or_clients(tmp_path):
    checked = manage(tmp_path, "check")
    assert checked.returncode == 0, checked.stderr
    migrated = manage(tmp_path, "migrate", "--noinput")
    assert migrated.returncode == 0, migrated.stderr
    assert "Applying assessments.0002_interdependence_in_relationships... OK" in migrated.stdout
    assert "practice" not in migrated.stdout and "clients" not in migrated.stdout
    answers = tmp_path / "answers.json"
    answers.write_text(json.dumps({"ir01": "5"}))
    scored = manage(tmp_path, "score_answers", "interdependence-in-relationships", str(answers))
    assert scored.returncode == 0, scored.stderr
    assert json.loads(scored.stdout)["scales"]["self"]["answered"] == 1


@pytest.mark.parametrize(
    ("value", "message"),
    [("clients", "of the form 'app_label.ModelName'"), ("nowhere.Person", "which is not installed")],
)
def test_a_wrong_respondent_model_is_a_clear_configuration_error(value, message):
    with override_settings(ASSESSMENTS_RESPONDENT_MODEL=value):
        with pytest.raises(ImproperlyConfigured, match=message):
            get_respondent_model()
        [error] = respondent_model_check()
        assert error.id == "assessments.E001"


@pytest.mark.parametrize(
    ("value", "message"),
    [("practice", "of the form 'app_label.ModelName'"), ("nowhere.Practice", "which is not installed")],
)
def test_a_wrong_owner_model_is_a_clear_configuration_error(value, message):
    with override_settings(ASSESSMENTS_OWNER_MODEL=value):
        with pytest.raises(ImproperlyConfigured, match=f"ASSESSMENTS_OWNER_MODEL .*{message}"):
            get_owner_model()
        [error] = owner_model_check()
        assert error.id == "assessments.E002"
    assert owner_model_check() == []


def test_the_respondent_model_is_the_practice_client_here():
    from clients.models import Client

    assert get_respondent_model() is Client


def test_without_a_host_only_superusers_see_technical_details(django_user_model, db):
    from assessments.hooks import DefaultHooks

    superuser = django_user_model.objects.create_superuser("root", "root@example.org", "x")
    staff = django_user_model.objects.create_user("staff", "staff@example.org", "x", is_staff=True)
    assert DefaultHooks().sees_technical_details(superuser, 1)
    assert not DefaultHooks().sees_technical_details(staff, 1)
