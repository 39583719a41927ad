"""The API: every app's routes under ``/api/v1/``, the OpenAPI schema and its documentation page.

Mounted at ``/api/`` by ``config.urls``. Each app's ``api.urls`` has a ``router`` of staff viewsets
and ``urlpatterns`` for anything else; a new app's API is added to ``APPS`` below (and its routes to
the scoping matrix in ``tests/api/test_scoping.py``, which fails until they are there).
"""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.urls import Resolver404, include, path, re_path, resolve
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

app_name = "api"

urlpatterns = [
    path("v1/", include((v1, "v1"))),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api:schema"), name="docs"),
]
