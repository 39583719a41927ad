"""The hostile-input harness: a payload corpus, the public surfaces that receive it, and the checks.

Every attempt, whatever the surface, must end with no server error, no unescaped ``<script`` from
the payload in any page or queued email, no CR/LF in a response or email header, and, when the
surface refused the input, no row changed in our apps.

**Adding a surface** (the client form at ``/q/<token>/``, the API) takes one function::

    @surface("client form")
    def client_form(client, payload: str, world: World) -> Attempt:
        link = world.extra["link_token"]  # put what the surface needs into World.extra in `world`
        response = client.post(f"/q/{link}/page/1/", {"q-1": payload})
        return Attempt([response], rejected=response.status_code != 302)

A surface sends one payload through ``client`` (Django's test client, one per attempt, with its own
address) and says whether the site refused it (``rejected``); ``attempt`` runs the checks and counts
the input for the summary printed at the end of the run. ``test_hostile_input`` sends the corpus and
hypothesis-made text through every registered surface, so a new one is covered with no other change.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from itertools import count
from typing import Any
from urllib.parse import urlencode

from django.apps import apps
from django.http import HttpResponse
from django.test import Client

#: Inputs tried and server errors seen, per surface, for the terminal summary (tests/security/conftest.py).
TRIED: Counter[str] = Counter()
SERVER_ERRORS: Counter[str] = Counter()

CORPUS: list[str] = [
    # markup and script
    "<script>alert(1)</script>",
    '"><script>alert(document.cookie)</script>',
    "'><script src=//evil.example/x.js></script>",
    "</title><script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "<svg/onload=alert(1)>",
    "javascript:alert(1)",
    "<ScRiPt>alert(1)</sCrIpT>",
    "<<script>script>alert(1)<</script>/script>",
    "{{ 7|add:7 }} {% debug %}",
    "%(password)s {0} %s%s%n",
    # SQL metacharacters
    "' OR '1'='1",
    "'; DROP TABLE practice_subscriber; --",
    '" OR 1=1 --',
    "1; SELECT pg_sleep(0) --",
    "%_\\'\"`",
    # CR/LF and header injection
    "Name\r\nBcc: victim@example.com",
    "x@example.org\r\nSubject: injected",
    "line\nX-Injected: yes",
    "=?utf-8?q?=0D=0ABcc:_victim@example.com?=",
    "\r\n\r\n<html>body</html>",
    # long
    "a" * 5000,
    "ü" * 3000,
    "x" * 250 + "@example.org",
    # unicode: confusables, direction overrides, zero-width, odd normalisation
    "t\u0435ss@example.org",  # a Cyrillic small ie for the "e"
    "\uff54\uff45\uff53\uff53@\uff45\uff58\uff41\uff4d\uff50\uff4c\uff45.\uff4f\uff52\uff47",  # fullwidth
    "\u202eevil\u202c",
    "zero\u200bwidth\ufeff",
    "\u0130stanbul \u00df \u01c5 \ufb01",  # dotted capital I, sharp s, a titlecase digraph, a ligature
    "🙂" * 50,
    "e\u0301\u0301\u0301\u0301",
    # null bytes and control characters
    "a\x00b",
    "\x00",
    "test@example.org\x00.evil.example",
    "\x1b[31mred\x07",
    # paths
    "../../../../etc/passwd",
    "%2e%2e%2f%2e%2e%2f",
]

_serial = count(1)


@dataclass
class World:
    """What surfaces need: the practice, a subscriber and tokens. Surfaces may add to ``extra``."""

    practice: Any
    staff: Any
    subscriber: Any
    unsubscribe_token: str
    confirm_token: str
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Attempt:
    responses: list[HttpResponse]
    rejected: bool


SurfaceFunction = Callable[[Client, str, World], Attempt]
SURFACES: dict[str, SurfaceFunction] = {}


def surface(name: str) -> Callable[[SurfaceFunction], SurfaceFunction]:
    """Register a public surface under ``name`` (see the module docstring)."""

    def register(function: SurfaceFunction) -> SurfaceFunction:
        SURFACES[name] = function
        return function

    return register


def row_counts() -> dict[str, int]:
    """Rows per model of our apps: what a refused request must leave unchanged."""
    return {
        model._meta.label: model._default_manager.count()
        for label in ("practice", "mail", "newsletter", "clients", "assessments")
        for model in apps.get_app_config(label).get_models()
    }


def _fresh_client() -> Client:
    n = next(_serial)
    return Client(REMOTE_ADDR=f"198.51.{n // 250 % 250}.{n % 250 + 1}")


def _payload_script_fragments(payload: str) -> list[str]:
    """The parts of ``payload`` that would be live markup if they reached a page unescaped."""
    return [match.group(0) for match in re.finditer(r"<\s*script[^>]*>?|<\s*(?:img|svg)[^>]*on\w+\s*=", payload, re.I)]


def check_page(response: HttpResponse, payload: str) -> None:
    assert response.status_code < 500, f"server error {response.status_code}"
    for name, value in response.items():
        assert "\r" not in value and "\n" not in value, f"CR/LF reached the {name} header"
    if getattr(response, "streaming", False) or not response.get("Content-Type", "").startswith("text/html"):
        return
    body = response.content.decode("utf-8", errors="replace")
    for fragment in _payload_script_fragments(payload):
        assert fragment not in body, f"unescaped {fragment!r} in the page"


EXPECTED_EMAIL_HEADERS = {
    "subject",
    "from",
    "to",
    "date",
    "message-id",
    "content-type",
    "content-transfer-encoding",
    "mime-version",
    "list-unsubscribe",
    "list-unsubscribe-post",
    "list-id",
    "reply-to",
    "auto-submitted",
    "precedence",
}


def check_emails(rows: Iterable[Any], payload: str) -> None:
    """Queued emails: no script from the payload, and no header but ours, each on one line."""
    from practice.mail.outbox import build_message, stored_parts

    for row in rows:
        _text, html, headers = stored_parts(row)  # a newsletter's come from its batch
        for fragment in _payload_script_fragments(payload):
            assert fragment not in html, f"unescaped {fragment!r} in an email"
        for value in (row.subject, row.to_email, *map(str, headers.values())):
            assert "\r" not in value and "\n" not in value, "CR/LF in an email header"
        parsed = message_from_bytes(build_message(row).message().as_bytes(), policy=policy.default)
        names = {name.lower() for name in parsed}
        assert names <= EXPECTED_EMAIL_HEADERS, f"unexpected email headers {names - EXPECTED_EMAIL_HEADERS}"


def attempt(name: str, payload: str, world: World) -> None:
    """Send ``payload`` through surface ``name`` and check everything that must hold."""
    from practice.mail.models import OutboundEmail

    TRIED[name] += 1
    before = row_counts()
    newest_email = OutboundEmail.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    try:
        result = SURFACES[name](_fresh_client(), payload, world)
    except Exception:
        SERVER_ERRORS[name] += 1
        raise
    if any(response.status_code >= 500 for response in result.responses):
        SERVER_ERRORS[name] += 1
    for response in result.responses:
        check_page(response, payload)
    check_emails(OutboundEmail.objects.filter(pk__gt=newest_email), payload)
    if result.rejected:
        assert row_counts() == before, "a refused request changed stored rows"


# --- The surfaces ------------------------------------------------------------------------------------------


def _email_for(payload: str) -> str:
    """A unique address, so each accepted subscription really stores and queues something."""
    return f"hostile{next(_serial)}@example.org"


@surface("newsletter subscribe: name")
def subscribe_name(client: Client, payload: str, world: World) -> Attempt:
    data = {"name": payload, "email": _email_for(payload), "consent": "yes"}
    response = client.post(f"/newsletter/{world.practice.pk}/subscribe/", data)
    return Attempt([response], rejected=response.status_code != 303)


@surface("newsletter subscribe: email")
def subscribe_email(client: Client, payload: str, world: World) -> Attempt:
    data = {"name": "Hostile", "email": payload, "consent": "yes", "via": payload}
    response = client.post(f"/newsletter/{world.practice.pk}/subscribe/", data)
    return Attempt([response], rejected=response.status_code != 303)


@surface("newsletter confirm: forged token")
def confirm_forged(client: Client, payload: str, world: World) -> Attempt:
    from urllib.parse import quote

    responses = []
    for token in (quote(payload, safe=""), quote(world.confirm_token + payload, safe="")):
        responses.append(client.get(f"/newsletter/confirm/{token}/"))
        responses.append(client.post(f"/newsletter/confirm/{token}/", {"x": payload}))
    return Attempt(responses, rejected=True)


@surface("newsletter unsubscribe: forged token")
def unsubscribe_forged(client: Client, payload: str, world: World) -> Attempt:
    from urllib.parse import quote

    responses = []
    for token in (quote(payload, safe=""), quote(world.unsubscribe_token[:-2] + payload, safe="")):
        responses.append(client.get(f"/newsletter/unsubscribe/{token}/"))
        responses.append(client.post(f"/newsletter/unsubscribe/{token}/", {"List-Unsubscribe": "One-Click"}))
    return Attempt(responses, rejected=True)


@surface("newsletter preferences")
def preferences(client: Client, payload: str, world: World) -> Attempt:
    """A forged token changes nothing; the real one with hostile fields re-renders or saves booleans only."""
    from urllib.parse import quote

    forged = client.post(f"/newsletter/preferences/{quote(payload, safe='')}/", {"newsletter": payload})
    assert forged.status_code == 404
    real = client.post(f"/newsletter/preferences/{world.unsubscribe_token}/", {"newsletter": payload, payload: "on"})
    return Attempt([forged, real], rejected=False)


@surface("admin login")
def admin_login(client: Client, payload: str, world: World) -> Attempt:
    """As the username, and as the password of a real username (which django-axes records, with the
    request's other fields and its User-Agent)."""
    page = client.get("/admin/login/", {"next": payload})
    as_username = client.post("/admin/login/", {"username": payload, "password": payload, "next": payload})
    as_password = client.post(
        "/admin/login/?" + urlencode({"next": payload}),
        {"username": world.staff.username, "password": payload, "next": payload, payload: payload},
        HTTP_USER_AGENT=payload,
        HTTP_ACCEPT=payload,
    )
    for response in (as_username, as_password):
        location = response.get("Location", "")
        assert not location.startswith(("http:", "https:", "//")), f"left the site for {location!r}"
    return Attempt([page, as_username, as_password], rejected=True)


@surface("client form: forged token")
def client_form_forged(client: Client, payload: str, world: World) -> Attempt:
    """A made-up link answers calmly and stores nothing; the real form's fields have surfaces of their own."""
    from urllib.parse import quote

    token = quote(payload, safe="") or "x"
    responses = [
        client.get(f"/q/{token}/"),
        client.post(f"/q/{token}/page/1/", {"answer": payload}),
        client.post(f"/q/{token}/review/", {"submit": payload}),
    ]
    return Attempt(responses, rejected=True)


@surface("couple summary: forged token")
def couple_summary_forged(client: Client, payload: str, world: World) -> Attempt:
    """A made-up joint-summary link shows nothing and names nobody; a POST is refused."""
    from urllib.parse import quote

    token = quote(payload, safe="") or "x"
    responses = [client.get(f"/couple-summary/{token}/"), client.post(f"/couple-summary/{token}/", {"x": payload})]
    return Attempt(responses, rejected=True)


@surface("admin couple search")
def admin_couple_search(client: Client, payload: str, world: World) -> Attempt:
    """The couples list's search box, signed in: shown back escaped, changes nothing."""
    from urllib.parse import urlencode

    client.force_login(world.staff)
    responses = [
        client.get("/admin/clients/couple/?" + urlencode({"q": payload})),
        client.get("/admin/clients/coupleassignment/?" + urlencode({"q": payload, "status": payload})),
    ]
    return Attempt(responses, rejected=True)


def _draft(world: World) -> dict:
    from assessments.models import Assignment

    return Assignment.objects.get(pk=world.extra["assignment_id"]).draft_answers


@surface("client form: free-text answer")
def client_form_text(client: Client, payload: str, world: World) -> Attempt:
    """A text answer is stored as typed (or refused with a message) and shown back escaped."""
    link = world.extra["link_token"]
    before = _draft(world)
    saved = client.post(f"/q/{link}/page/1/", {"item-low": "1", "item-notes": payload, "action": "save"})
    if saved.status_code != 303:
        assert saved.status_code == 400 and b"There is a problem" in saved.content
        assert _draft(world) == before, "a refused answer changed the saved answers"
        return Attempt([saved], rejected=True)
    review = client.get(f"/q/{link}/review/")
    return Attempt([saved, review], rejected=False)


@surface("client form: forged choices and keys")
def client_form_forged_answers(client: Client, payload: str, world: World) -> Attempt:
    """A choice that is not an option, or a question that is not on the page, is refused and saves nothing."""
    link = world.extra["link_token"]
    before = _draft(world)
    responses = [
        client.post(f"/q/{link}/page/1/", {"item-low": payload, "action": "next"}),
        client.post(
            f"/q/{link}/page/1/",
            urlencode({"item-low": "1", f"item-{payload}x": "1", "action": "next"}),
            content_type="application/x-www-form-urlencoded",
        ),
    ]
    for response in responses:
        assert response.status_code == 400, response.status_code
    assert _draft(world) == before, "a refused answer changed the saved answers"
    return Attempt(responses, rejected=True)


@surface("two-factor enrolment link: forged token")
def enrolment_forged(client: Client, payload: str, world: World) -> Attempt:
    """A made-up enrolment link opens nothing, signed in or not, and leaves the session unable to enrol."""
    from urllib.parse import quote

    token = quote(payload, safe="") or "x"
    anonymous = client.get(f"/admin/two-factor/enrol/{token}/")
    client.force_login(world.staff)
    signed_in = client.get(f"/admin/two-factor/enrol/{token}/")
    refused = client.post("/admin/two-factor/setup/", {"token": payload})
    assert signed_in.status_code in (404, 302), signed_in.status_code
    assert refused.status_code in (403, 302), refused.status_code
    return Attempt([anonymous, signed_in, refused], rejected=True)


@surface("API tokens: name and revoke")
def api_tokens_page(client: Client, payload: str, world: World) -> Attempt:
    """A verified session names a token anything (shown escaped) and revokes nothing with a forged id."""
    from django_otp import DEVICE_ID_SESSION_KEY

    client.force_login(world.staff)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = world.extra["staff_device"]
    session.save()
    made = client.post("/admin/api-tokens/", {"name": payload, "days": "30"})
    forged = client.post("/admin/api-tokens/", {"revoke": payload})
    odd_days = client.post("/admin/api-tokens/", {"name": "x", "days": payload})
    assert odd_days.status_code == 400 or payload.strip() in ("7", "30", "90", "365"), odd_days.status_code
    return Attempt([made, forged, odd_days, client.get("/admin/api-tokens/")], rejected=False)
