"""URLs for ``bench/form.py``: the project's own, plus the baseline, a minimal view behind the same middleware."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import path

from config.urls import urlpatterns as project_urlpatterns


def minimal(request: HttpRequest) -> HttpResponse:
    """The least a Django view can do: no database, no template."""
    return HttpResponse(b"ok\n", content_type="text/plain")


urlpatterns = [path("bench/minimal/", minimal, name="bench-minimal"), *project_urlpatterns]
