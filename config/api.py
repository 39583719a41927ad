"""The API: every app's routes under ``/api/v1/``, the OpenAPI schema and its documentation page.

Mounted at ``/api/`` by ``config.urls``. Each app's ``api.urls`` has a ``router`` of staff viewsets
and ``urlpatterns`` for anything else; a new app's API is added to ``APPS`` below (and its routes to
the scoping matrix in ``tests/api/test_scoping.py``, which fails until they are there).
"""

from __future__ import annotations

from functools import wraps

from django.conf import settings
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import Resolver404, include, path, re_path, resolve, reverse
from django.utils.http import urlencode
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import SimpleRouter

from assessments.api import urls as assessments_api
from clients.api import urls as clients_api

APPS = (clients_api, assessments_api)

router = SimpleRouter()
for app in APPS:
    router.registry.extend(app.router.registry)

v1 = [*router.urls]
for app in APPS:
    v1 += app.urlpatterns


@csrf_exempt
def not_found(request: HttpRequest) -> JsonResponse:
    """Anything else under ``/api/v1/`` is a JSON 404, like the API's own, not the site's HTML page.

    A route without its trailing slash is named, rather than redirected (a redirected POST loses its body).
    """
    detail = "Not found."
    if not request.path.endswith("/"):
        match = resolve_or_none(request.path + "/")
        if match is not None and match.url_name != "not-found":
            detail = f"Not found. API addresses end with a slash: {request.path}/"
    return JsonResponse({"detail": detail}, status=404)


def resolve_or_none(path: str):
    try:
        return resolve(path)
    except Resolver404:
        return None


v1.append(re_path(r"^", not_found, name="not-found"))


def for_verified_staff(view):
    """The schema and its documentation page: open while ``TANDEM_API_DOCS_PUBLIC`` (development), else only
    for a signed-in staff session that gave its second factor (anyone else: the sign-in page, or 403)."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not getattr(settings, "TANDEM_API_DOCS_PUBLIC", False):
            user = request.user
            if not user.is_authenticated:
                login = reverse("admin:login")
                return redirect(f"{login}?{urlencode({REDIRECT_FIELD_NAME: request.get_full_path()})}")
            is_verified = getattr(user, "is_verified", None)
            if not (user.is_active and user.is_staff and is_verified and is_verified()):
                return JsonResponse(
                    {"detail": "The API's schema needs a staff session with two-factor sign-in."}, status=403
                )
        return view(request, *args, **kwargs)

    return wrapped


app_name = "api"

urlpatterns = [
    path("v1/", include((v1, "v1"))),
    path("schema/", for_verified_staff(SpectacularAPIView.as_view()), name="schema"),
    path("docs/", for_verified_staff(SpectacularSwaggerSplitView.as_view(url_name="api:schema")), name="docs"),
]
