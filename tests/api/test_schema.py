"""The OpenAPI schema, its documentation page, the production renderers and the per-user throttle."""

from __future__ import annotations

import json
import re

import pytest
from django.core.management import call_command

from tests.config.test_settings import PRODUCTION, run_python


def test_the_schema_generates_without_warnings_and_validates(tmp_path):
    target = tmp_path / "schema.json"
    call_command("spectacular", "--validate", "--fail-on-warn", "--format", "openapi-json", "--file", str(target))
    schema = json.loads(target.read_text())
    assert schema["openapi"].startswith("3.") and schema["info"]["title"] == "Tandem API"


@pytest.fixture
def schema(anonymous):
    response = anonymous.get("/api/schema/?format=json")
    assert response.status_code == 200
    return response.json()


def operations(schema: dict):
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            yield path, method, operation


def test_every_operation_documents_its_errors(schema):
    for path, method, operation in operations(schema):
        responses = set(operation["responses"])
        where = f"{method.upper()} {path}"
        assert "429" in responses, where
        if operation.get("security") != [{}]:
            assert {"401", "403"} <= responses, where
        if "{" in path:
            assert "404" in responses, where
        if "requestBody" in operation:
            assert {"400", "415"} <= responses, where
        for status, response in operation["responses"].items():
            if status.startswith(("4", "5")):
                assert response["content"]["application/json"]["schema"], where


def test_server_set_fields_are_read_only_in_the_schema(schema):
    components = schema["components"]["schemas"]
    client = components["Client"]["properties"]
    for name in ("id", "practice", "therapist", "created_at", "consent_questionnaires_at"):
        assert client[name].get("readOnly"), name
    assert not {"practice", "therapist", "id"} & set(components["ClientRequest"]["properties"])
    assert all(field.get("readOnly") for field in components["Assignment"]["properties"].values())
    assert "status" not in components["SubscriberCreateRequest"]["properties"]


def test_the_documentation_page_loads_nothing_from_elsewhere_and_no_inline_script(anonymous):
    page = anonymous.get("/api/docs/")
    assert page.status_code == 200
    html = page.content.decode()
    sources = re.findall(r'<script[^>]*src="([^"]+)"', html)
    assert sources and all(source.startswith("/") for source in sources)
    assert not re.search(r"<script>(?!\s*</script>)", html)
    assert all(href.startswith("/") for href in re.findall(r'<link[^>]*href="([^"]+)"', html))
    script = anonymous.get(sources[-1])
    assert script.status_code == 200 and "/api/schema/" in script.content.decode()


def test_the_browsable_api_is_off_in_production(tmp_path):
    code = (
        "import json, django; django.setup(); from django.conf import settings as s; "
        "print(json.dumps(s.REST_FRAMEWORK['DEFAULT_RENDERER_CLASSES']))"
    )
    result = run_python(code, tmp_path, **PRODUCTION)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == ["rest_framework.renderers.JSONRenderer"]


def test_the_browsable_api_is_there_in_development(world, as_uma):
    page = as_uma.get("/api/v1/clients/", HTTP_ACCEPT="text/html")
    assert page.status_code == 200 and page["Content-Type"].startswith("text/html")


def test_each_user_is_throttled_on_their_own(world, as_uma, as_tess, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"user": "3/hour"}}
    for _ in range(3):
        assert as_uma.get("/api/v1/instruments/").status_code == 200
    limited = as_uma.get("/api/v1/instruments/")
    assert limited.status_code == 429 and int(limited["Retry-After"]) > 0
    assert as_tess.get("/api/v1/instruments/").status_code == 200
