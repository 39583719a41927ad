"""The client's own pages for stopping questionnaire or appointment emails, reached through signed links."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from clients.emails import read_appointment_stop_token, read_stop_token
from clients.models import Channel, Client
from clients.services import consent_withdrawn_by_client
from practice.views import capability_page, not_found


def _stop_page(request: HttpRequest, client_id: int | None, channel: Channel, source: str, name: str) -> HttpResponse:
    """GET shows a button and changes nothing; a POST records the withdrawn consent and tells the therapist."""
    client = Client.objects.select_related("practice").filter(pk=client_id).first() if client_id else None
    if client is None:
        return not_found(request)
    context = {"practice": client.practice}
    if request.method == "POST":
        consent_withdrawn_by_client(client=client, channel=channel, source=source)
        return render(request, f"clients/public/{name}_stopped.html", context)
    return render(request, f"clients/public/stop_{name}.html", context)


@capability_page  # RFC 8058 one-click: the mail provider's POST has no cookies
@require_http_methods(["GET", "HEAD", "POST"])
def stop_questionnaires(request: HttpRequest, token: str) -> HttpResponse:
    return _stop_page(
        request, read_stop_token(token), Channel.QUESTIONNAIRES, "stop link in an email", "questionnaires"
    )


@capability_page  # RFC 8058 one-click, as above
@require_http_methods(["GET", "HEAD", "POST"])
def stop_appointment_reminders(request: HttpRequest, token: str) -> HttpResponse:
    return _stop_page(
        request,
        read_appointment_stop_token(token),
        Channel.APPOINTMENT_REMINDERS,
        "stop link in an appointment email",
        "appointment_reminders",
    )
