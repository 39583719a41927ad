"""The joint summary a couple may read through their own private links, once released and both agreed."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from clients.couples.links import summary_link_resolve


@require_safe
def couple_summary(request: HttpRequest, token: str) -> HttpResponse:
    """Scales and the three lists, never either partner's answers or scores; no-store, no-referrer, noindex."""
    found = summary_link_resolve(token)
    if found is None:
        response = render(request, "clients/public/couple_summary_unavailable.html", {}, status=404)
    else:
        summary = found.agreement
        response = render(
            request,
            "clients/public/couple_summary.html",
            {
                "practice": found.couple.practice,
                "title": found.version.title,
                "completed_at": found.completed_at,
                "scales": summary.get("scales", []),
                "strengths": summary.get("strengths", []),
                "growth_areas": summary.get("growth_areas", []),
                "different_views": summary.get("different_views", []),
            },
        )
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "no-referrer"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response
