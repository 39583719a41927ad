"""Top-level URLs."""

from __future__ import annotations

from django.contrib import admin
from django.templatetags.static import static
from django.urls import include, path
from django.utils.functional import lazy
from django.views.generic import RedirectView

from practice.views import health

admin.site.site_header = "Tandem"
admin.site.site_title = "Tandem"
admin.site.index_title = "Practice back office"

# The admin's own 403, 404 and 500 pages; everywhere else Django's defaults answer.
handler403 = "practice.errors.permission_denied"
handler404 = "practice.errors.page_not_found"
handler500 = "practice.errors.server_error"

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="admin:index"), name="home"),
    path(
        "admin/two-factor/", include("practice.accounts.two_factor")
    ),  # before the admin, whose catch-all would 404 it
    path("admin/api-tokens/", include("practice.accounts.tokens")),
    path("admin/", admin.site.urls),
    path("health/", health, name="health"),
    # For the pages that name no icon (the API's, a browser's own guess): no 404 on every page.
    path("favicon.ico", RedirectView.as_view(url=lazy(static, str)("practice/favicon.svg"), permanent=True)),
    path("api/", include("config.api")),
    path("", include("practice.newsletter.urls")),
    path("", include("assessments.urls")),
    path("", include("clients.urls")),
]
