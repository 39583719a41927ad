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


@pytest.fixture
def bundled_questionnaire(db):
    """*Interdependence in Relationships*, published: transactional tests flush data migrations' rows."""
    from pathlib import Path

    import assessments
    from assessments import services
    from assessments.models import Instrument

    instrument = Instrument.objects.filter(slug="interdependence-in-relationships").first()
    if instrument is None or instrument.published_version is None:
        path = Path(assessments.__file__).parent / "data" / "interdependence-in-relationships-1.1.json"
        version, _warnings = services.instrument_import(path.read_bytes(), publish=True)
        return version
    return instrument.published_version


@pytest.fixture
def phone(chromium):
    """A second browser at 360 by 740, as on a small phone: the client's."""
    context = chromium.new_context(viewport={"width": 360, "height": 740}, locale="en-GB", is_mobile=True)
    yield context
    context.close()


def axe_violations(page) -> list[dict]:
    """axe-core (shipped by the axe-playwright-python package) run on the page; violations only."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]]}
        for v in results.response["violations"]
    ]


RECORD_VIOLATIONS = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__csp.push(`${e.violatedDirective} ${e.blockedURI || "inline"} at ${e.sourceFile}:${e.lineNumber}`);
});
"""


def watch_csp(page):
    """Record CSP violations (DOM events and console reports) on every document ``page`` loads; returns a
    function that lists those seen so far."""
    seen: list[str] = []
    page.add_init_script(RECORD_VIOLATIONS)
    page.on("console", lambda message: seen.append(message.text) if "Content Security Policy" in message.text else None)

    def violations() -> list[str]:
        page.wait_for_load_state("load")
        seen.extend(page.evaluate("window.__csp || []"))
        return seen

    return violations
