"""The API documentation page works in a real browser under the site's Content-Security-Policy."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser


def test_the_documentation_page_lists_the_operations_without_breaking_the_policy(page, live_server):
    problems: list[str] = []
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.goto(f"{live_server.url}/api/docs/")
    page.wait_for_selector(".opblock", timeout=20_000)
    labels = page.locator(".opblock-summary-path").all_inner_texts()
    assert any("/api/v1/clients/" in label for label in labels)
    assert any("/api/v1/respond/" in label for label in labels)
    assert problems == []
