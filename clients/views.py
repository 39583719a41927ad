"""The client's own page for stopping questionnaire emails, reached through a signed link in every such email."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from clients.emails import read_stop_token
from clients.models import Client
from clients.services import questionnaire_emails_stop
from practice.views import capability_page, not_found


@capability_page  # RFC 8058 one-click: the mail provider's POST has no cookies
@require_http_methods(["GET", "HEAD", "POST"])
def stop_questionnaires(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows a button and changes nothing; a POST records the withdrawn consent and tells the therapist."""
    client_id = read_stop_token(token)
    client = Client.objects.select_related("practice").filter(pk=client_id).first() if client_id else None
    if client is None:
        return not_found(request)
    context = {"practice": client.practice}
    if request.method == "POST":
        questionnaire_emails_stop(client=client, source="stop link in an email")
        return render(request, "clients/public/questionnaires_stopped.html", context)
    return render(request, "clients/public/stop_questionnaires.html", context)


@capability_page  # RFC 8058 one-click, as above
@require_http_methods(["GET", "HEAD", "POST"])
def stop_appointment_reminders(request: HttpRequest, token: str) -> HttpResponse:
    """The same for appointment emails: a GET changes nothing; a POST withdraws consent and tells the therapist."""
    from clients.appointments import appointment_reminders_stop
    from clients.emails import read_appointment_stop_token

    client_id = read_appointment_stop_token(token)
    client = Client.objects.select_related("practice").filter(pk=client_id).first() if client_id else None
    if client is None:
        return not_found(request)
    context = {"practice": client.practice}
    if request.method == "POST":
        appointment_reminders_stop(client=client, source="stop link in an appointment email")
        return render(request, "clients/public/appointment_reminders_stopped.html", context)
    return render(request, "clients/public/stop_appointment_reminders.html", context)
