"""The admin's own 403, 404 and 500 pages: Tandem's header, the signed-in user's links, words a person uses.

Elsewhere (the public pages, the API) Django's default handlers answer as before. The 500 page is drawn
without the database, which may be why it is shown.
"""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.urls import reverse
from django.views import defaults


def _in_admin(request: HttpRequest) -> bool:
    return request.path.startswith(reverse("admin:index"))


def _admin_page(request: HttpRequest, template: str, status: int, **context) -> HttpResponse:
    content = render_to_string(template, {**admin.site.each_context(request), **context}, request=request)
    return HttpResponse(content, status=status)


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    if not _in_admin(request):
        return defaults.permission_denied(request, exception)
    return _admin_page(request, "admin/403.html", 403)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if not _in_admin(request):
        return defaults.page_not_found(request, exception)
    return _admin_page(request, "admin/404.html", 404)


def server_error(request: HttpRequest) -> HttpResponse:
    if not _in_admin(request):
        return defaults.server_error(request)
    return HttpResponse(render_to_string("admin/500.html"), status=500)
