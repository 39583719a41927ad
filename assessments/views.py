"""The respondent's pages, reached only through a private link: start, one page per section, review, thanks.

Server-rendered and usable without JavaScript. Every answer from a link page is
``Cache-Control: no-store``, ``Referrer-Policy: no-referrer`` and ``noindex``; a link that does not
work gets a calm page that names neither the respondent nor the questionnaire. A GET changes
nothing but the time the link was first opened.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from functools import lru_cache, wraps
from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST, require_safe
from django_ratelimit.core import get_usage

from assessments import app_settings, document
from assessments.assignments import (
    AnswerError,
    AssignmentClosed,
    Incomplete,
    assignment_open,
    assignment_save_answers,
    assignment_submit,
    missing_answers,
)
from assessments.forms import FIELD_PREFIX, MISSING, AnswerPageForm
from assessments.hooks import get_hooks
from assessments.links import LinkProblem, link_resolve
from assessments.models import Assignment, AssignmentStatus
from assessments.questions import CHOICE_TYPES, page_questions
from assessments.results import answer_label
from assessments.services import PublishedForm, frozen_form, published_form, published_version

#: A page of answers is a few kilobytes; anything far larger is refused before it is read.
MAX_BODY_BYTES = 64 * 1024
PROBLEM_STATUS = {
    LinkProblem.UNKNOWN: 404,
    LinkProblem.EXPIRED: 410,
    LinkProblem.CANCELLED: 410,
    LinkProblem.USED: 410,
}


def _client_key(group: str, request: HttpRequest) -> str:
    return app_settings.client_address(request) or "unknown"


def _rate_limited(request: HttpRequest) -> int | None:
    """Count this request against its client (``ASSESSMENTS_CLIENT_ADDRESS``) with django-ratelimit, the
    counter the host's own limits use too; the seconds to wait once over ``ASSESSMENTS_LINK_RATE_LIMIT``."""
    limit, window = app_settings.link_rate_limit()
    if limit <= 0:
        return None
    usage = get_usage(request, group="assessments:link", key=_client_key, rate=(limit, window), increment=True)
    if usage is None or not usage["should_limit"]:
        return None
    return max(int(usage["time_left"]), 1)


def _private(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "no-referrer"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


def problem_page(request: HttpRequest, problem: LinkProblem, status: int | None = None) -> HttpResponse:
    return render(
        request, f"assessments/respond/link_{problem.value}.html", {}, status=status or PROBLEM_STATUS[problem]
    )


def link_page(*, allow_used: bool = False) -> Callable:
    """Resolve the token in the URL, or answer with the page saying why it does not work.

    CSRF-exempt: the token is the capability a forged cross-site POST would need, and under
    ``no-referrer`` browsers post ``Origin: null``, which Django's CSRF check refuses.
    """

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @csrf_exempt
        @wraps(view)
        def wrapped(request: HttpRequest, token: str, *args: Any, **kwargs: Any) -> HttpResponse:
            wait = _rate_limited(request)
            if wait is not None:
                limited = render(request, "assessments/respond/rate_limited.html", {}, status=429)
                limited["Retry-After"] = str(wait)
                return _private(limited)
            if _body_size(request) > MAX_BODY_BYTES:
                return _private(render(request, "assessments/respond/too_large.html", {}, status=413))
            assignment, problem = link_resolve(token)
            if problem is not None and not (allow_used and problem == LinkProblem.USED):
                return _private(problem_page(request, problem))
            request.link_token = token
            return _private(view(request, assignment, *args, **kwargs))

        return wrapped

    return decorate


def _body_size(request: HttpRequest) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return MAX_BODY_BYTES + 1


def _url(request: HttpRequest, name: str, *args: Any) -> str:
    return reverse(f"assessments:{name}", args=[request.link_token, *args])


def _context(request: HttpRequest, assignment: Assignment, form: PublishedForm, **extra: Any) -> dict[str, Any]:
    return {
        "assignment": assignment,
        "version": assignment.version,
        "document": form.document,
        "token": request.link_token,
        **get_hooks().page_context(assignment),
        **extra,
    }


def visible_pages(
    form: PublishedForm, answers: dict[str, object], order_seed: int | None = None
) -> list[tuple[int, dict[str, Any], list[dict]]]:
    """(number, page, items shown) for each page with something to show for these answers; numbers start at 1.

    With ``order_seed`` (the assignment's ``question_order_seed``) each page's questions come in that order.
    """
    shown = document.enabled_keys(form.document, answers)
    result = []
    for number, page in enumerate(form.pages, start=1):
        items = [item for item in document.shuffled(page["items"], order_seed) if item["key"] in shown]
        if any(item["type"] in document.QUESTION_TYPES for item in items):
            result.append((number, page, items))
    return result


@require_safe
@link_page()
def start(request: HttpRequest, assignment: Assignment) -> HttpResponse:
    assignment_open(assignment=assignment)
    form = published_form(assignment.version)
    pages = visible_pages(form, assignment.draft_answers, assignment.question_order_seed)
    numbers = [number for number, _page, _items in pages]
    questions = sum(1 for item in form.document["items"] if item["type"] in document.QUESTION_TYPES)
    context = _context(
        request,
        assignment,
        form,
        first_url=_url(request, "page", numbers[0]) if numbers else _url(request, "review"),
        question_count=questions,
        page_count=len(numbers),
        **_progress(request, form, pages, assignment.draft_answers),
    )
    return render(request, "assessments/respond/start.html", context)


def _progress(
    request: HttpRequest, form: PublishedForm, pages: list[tuple[int, dict[str, Any], list[dict]]], answers: dict
) -> dict[str, Any]:
    """How far a client got, and where to go on: the first page with an unanswered required question."""
    if not answers:
        return {"resume_url": None}
    missing = set(missing_answers(form.document, answers))
    shown = [item for _n, _page, items in pages for item in items if item["type"] in document.QUESTION_TYPES]
    resume = next((n for n, _page, items in pages if any(item["key"] in missing for item in items)), None)
    return {
        "resume_url": _url(request, "page", resume) if resume else _url(request, "review"),
        "answered_count": sum(1 for item in shown if answers.get(item["key"]) not in (None, "", [])),
        "shown_count": len(shown),
    }


@require_http_methods(["GET", "HEAD", "POST"])
@link_page()
def page(request: HttpRequest, assignment: Assignment, number: int) -> HttpResponse:
    form_plan = published_form(assignment.version)
    answers = dict(assignment.draft_answers)
    pages = visible_pages(form_plan, answers, assignment.question_order_seed)
    numbers = [n for n, _page, _items in pages]
    if number not in numbers:
        return HttpResponseRedirect(_url(request, "start"))
    index = numbers.index(number)
    _n, section, items = pages[index]
    status, notice = 200, ""
    values: dict[str, object] = answers  # what the controls show: the saved answers, or what was just posted
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        form = AnswerPageForm(section["items"], request.POST)
        if form.unknown_fields():
            notice, status = "forged", 400
        elif form.is_valid():
            action = request.POST.get("action", "next")
            posted = form.answers()
            merged = {k: v for k, v in {**answers, **posted}.items() if v is not None}
            missing = missing_answers(form_plan.document, merged, [item["key"] for item in form.items])
            try:
                saved = assignment_save_answers(assignment=assignment, answers=posted, page=number)
            except AssignmentClosed:
                return problem_page(request, LinkProblem.EXPIRED)
            except AnswerError as exc:
                form.add_error(FIELD_PREFIX + exc.key, str(exc))
            else:
                if not (action == "next" and missing):
                    return _after_save(request, form_plan, saved, number, items, action)
                form.add_missing(missing)  # what was answered is kept; the page asks for the rest
        if not notice:
            status = 400
            values = {item["key"]: form[FIELD_PREFIX + item["key"]].value() for item in form.items}
            errors = {name.removeprefix(FIELD_PREFIX): list(messages) for name, messages in form.errors.items()}
    else:
        if request.GET.get("check"):  # sent back from the review: point at what is still unanswered
            keys = [item["key"] for item in items]
            errors = {key: [MISSING] for key in missing_answers(form_plan.document, answers, keys)}
        if request.GET.get("more"):
            notice = "more"
    branding = get_hooks().page_context(assignment)
    shared = _shared_page_key(form_plan, items, values, branding) if not errors and not notice else None
    if shared is None:
        html = _page_html(
            form_plan, assignment.version, section, items, values, errors, notice, index + 1, len(numbers), branding
        )
    else:
        html = _shared_page_html(form_plan.frozen_as, number, *shared, index + 1, len(numbers), get_language())
    return HttpResponse(html, status=status)


def _page_html(
    form: PublishedForm,
    version: Any,
    section: dict[str, Any],
    items: list[dict[str, Any]],
    values: dict[str, object],
    errors: dict[str, list[str]],
    notice: str,
    position: int,
    count: int,
    branding: dict[str, Any],
) -> str:
    """One page of questions as the client's browser gets it.

    Its form posts to ``.`` and autosaves to ``autosave/``, both relative to the page's own address, so the
    markup never holds the link's token. No context processors: the page needs neither the signed-in user
    nor CSRF (the link is the capability).
    """
    questions = page_questions(form, items, values, errors)
    context = {
        **branding,
        "version": version,
        "section": section,
        "questions": questions,
        "errors": _error_summary(questions),
        "notice": notice,
        "page_number": position,
        "page_count": count,
        "is_first": position == 1,
    }
    return render_to_string("assessments/respond/page.html", context)


def _shared_page_key(
    form: PublishedForm, items: list[dict[str, Any]], values: dict[str, object], branding: dict[str, Any]
) -> tuple[tuple[str, ...], tuple[tuple[str, tuple[str, ...]], ...], tuple[tuple[str, str], ...]] | None:
    """What a page of a published version shows, if everyone who has given these answers sees the same page.

    Only answer codes count (never who gave them); a page showing a client's own typed answer, a draft,
    or a host's page context that is not plain text is rendered for its request alone.
    """
    if form.frozen_as is None or not all(isinstance(value, str) for value in branding.values()):
        return None
    chosen = []
    for item in items:
        value = values.get(item["key"])
        if item["type"] in CHOICE_TYPES:
            codes = value if isinstance(value, list | tuple) else [] if value is None else [value]
            chosen.append((item["key"], tuple(sorted(str(code) for code in codes))))
        elif value not in (None, ""):
            return None
    return tuple(item["key"] for item in items), tuple(chosen), tuple(sorted(branding.items()))


@lru_cache(maxsize=2048)
def _shared_page_html(
    version: tuple[int, datetime],
    number: int,
    item_keys: tuple[str, ...],
    chosen: tuple[tuple[str, tuple[str, ...]], ...],
    branding: tuple[tuple[str, str], ...],
    position: int,
    count: int,
    language: str | None,
) -> str:
    """A published version's page for one set of answer codes, rendered once per process (``bench/form.py``:
    rendering is a third of the form page's work). ``language`` is only part of the key: the template
    translates into the active language.
    """
    form = frozen_form(*version)
    items = [form.items[key] for key in item_keys]
    values = {key: list(codes) for key, codes in chosen}
    section = form.pages[number - 1]
    page_version = published_version(*version)
    return _page_html(form, page_version, section, items, values, {}, "", position, count, dict(branding))


def _after_save(
    request: HttpRequest, form_plan: PublishedForm, saved: dict, number: int, items: list[dict], action: str
) -> HttpResponse:
    if action == "save":
        return _see_other(_url(request, "saved"))
    pages = visible_pages(form_plan, saved)
    numbers = [n for n, _page, _items in pages]
    if action == "back":
        earlier = [n for n in numbers if n < number]
        return _see_other(_url(request, "page", earlier[-1]) if earlier else _url(request, "start"))
    shown_before = {item["key"] for item in items}
    shown_now = next((shown for n, _page, shown in pages if n == number), [])
    if any(item["key"] not in shown_before and item["type"] in document.QUESTION_TYPES for item in shown_now):
        return _see_other(_url(request, "page", number) + "?more=1")  # an answer opened a question on this page
    later = [n for n in numbers if n > number]
    return _see_other(_url(request, "page", later[0]) if later else _url(request, "review"))


def _see_other(url: str) -> HttpResponseRedirect:
    response = HttpResponseRedirect(url)
    response.status_code = 303
    return response


def _error_summary(questions: list[dict[str, Any]]) -> list[dict[str, str]]:
    return [
        {"id": question["id"], "text": question["item"]["text"], "error": error}
        for question in questions
        for error in question.get("errors", [])
    ]


@require_http_methods(["GET", "HEAD", "POST"])
@link_page()
def review(request: HttpRequest, assignment: Assignment) -> HttpResponse:
    form_plan = published_form(assignment.version)
    answers = assignment.draft_answers
    if request.method == "POST":
        try:
            assignment_submit(assignment=assignment)
        except Incomplete as exc:
            pages = visible_pages(form_plan, answers, assignment.question_order_seed)
            number = next((n for n, _page, items in pages if exc.keys[0] in {i["key"] for i in items}), None)
            target = _url(request, "page", number) + "?check=1" if number else _url(request, "start")
            return _see_other(target)
        except AssignmentClosed:
            return problem_page(request, LinkProblem.EXPIRED)
        return _see_other(_url(request, "done"))
    sections = []
    for number, section, items in visible_pages(form_plan, answers, assignment.question_order_seed):
        rows = [
            {"text": item["text"], "answer": answer_label(item, answers.get(item["key"]))}
            for item in items
            if item["type"] in document.QUESTION_TYPES
        ]
        sections.append({"heading": section["heading"], "rows": rows, "url": _url(request, "page", number)})
    missing = missing_answers(form_plan.document, answers)
    context = _context(request, assignment, form_plan, sections=sections, missing=len(missing))
    return render(request, "assessments/respond/review.html", context)


@require_safe
@link_page()
def saved(request: HttpRequest, assignment: Assignment) -> HttpResponse:
    form_plan = published_form(assignment.version)
    return render(request, "assessments/respond/saved.html", _context(request, assignment, form_plan))


@require_safe
@link_page(allow_used=True)
def done(request: HttpRequest, assignment: Assignment) -> HttpResponse:
    """Thanks, and the scores if the therapist released them, for a short while after submitting."""
    if assignment.status != AssignmentStatus.COMPLETED:
        return HttpResponseRedirect(_url(request, "start"))
    window = timedelta(minutes=app_settings.scores_visible_minutes())
    if assignment.completed_at is None or timezone.now() - assignment.completed_at > window:
        return problem_page(request, LinkProblem.USED)
    scores = []
    if assignment.release_scores and assignment.response_id:
        scores = [
            {"label": scale["label"], "value": scale["value"], "band": scale["band"]}
            for scale in assignment.response.scores.get("scales", {}).values()
            if scale.get("value") is not None
        ]
    form_plan = published_form(assignment.version)
    return render(request, "assessments/respond/done.html", _context(request, assignment, form_plan, scores=scores))


@require_POST
@link_page()
def autosave(request: HttpRequest, assignment: Assignment, number: int) -> HttpResponse:
    """Save a page's answers as they are given (its script posts the whole form on each change).

    Answers that fail their check keep what was saved before, and the page shows the problem when it is
    sent; fields of another page change nothing. 204 when saved; the page itself still saves without it.
    """
    form_plan = published_form(assignment.version)
    pages = visible_pages(form_plan, assignment.draft_answers, assignment.question_order_seed)
    section = next((section for n, section, _items in pages if n == number), None)
    if section is None:
        return HttpResponse(status=404)
    form = AnswerPageForm(section["items"], request.POST)
    if form.unknown_fields():
        return HttpResponse(status=400)
    form.is_valid()
    answers = {key: value for key, value in form.answers().items() if FIELD_PREFIX + key not in form.errors}
    try:
        assignment_save_answers(assignment=assignment, answers=answers, page=number)
    except AssignmentClosed:
        return HttpResponse(status=410)
    except AnswerError:
        return HttpResponse(status=400)
    return HttpResponse(status=204)
