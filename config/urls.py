"""Top-level URLs."""

from __future__ import annotations

from django.contrib import admin
from django.urls import path

from practice.views import health

admin.site.site_header = "Tandem"
admin.site.site_title = "Tandem"
admin.site.index_title = "Practice back office"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("health/", health, name="health"),
]
