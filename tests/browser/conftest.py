"""Headless Chromium (Debian's package) driven by Playwright; screenshots go to test-artifacts/."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.conftest import service_missing

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "browser"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def chromium_path() -> str | None:
    return os.environ.get("TANDEM_CHROMIUM") or shutil.which("chromium")


@pytest.fixture(scope="session")
def chromium():
    path = chromium_path()
    if not path:
        service_missing("Chromium is not installed (apt-get install chromium)")
    # Playwright's sync API runs an event loop in this thread; the ORM calls made by
    # fixtures around it are still synchronous and safe.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(chromium, request):
    context = chromium.new_context(viewport={"width": 1280, "height": 800}, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


@pytest.fixture
def screenshot(request):
    """Save a named screenshot of a page (the ``page`` fixture's unless another is given) for people to see."""

    def take(name: str, on=None) -> Path:
        target = on if on is not None else request.getfixturevalue("page")
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{request.node.name}-{name}.png"
        target.screenshot(path=str(path), full_page=True)
        return path

    return take


@pytest.fixture
def demo(settings):
    """The demo practice (its loader refuses to run with DEBUG off, as tests run)."""
    from django.core.management import call_command

    settings.DEBUG = True
    call_command("load_demo", verbosity=0)
    settings.DEBUG = False


@pytest.fixture
def sign_in(page, live_server):
    """Sign in to the admin through its login form, as a person would."""

    def go(username: str, password: str):
        page.goto(f"{live_server.url}/admin/")
        page.get_by_label("Username").fill(username)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url(f"{live_server.url}/admin/")
        return page

    return go
