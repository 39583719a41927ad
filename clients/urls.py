"""Public pages of the clients app."""

from __future__ import annotations

from django.urls import path

from clients import views
from clients.couples import views as couples

app_name = "clients"

urlpatterns = [
    path("email/stop-questionnaires/<str:token>/", views.stop_questionnaires, name="stop_questionnaires"),
    path(
        "email/stop-appointment-emails/<str:token>/",
        views.stop_appointment_reminders,
        name="stop_appointment_reminders",
    ),
    path("couple-summary/<str:token>/", couples.couple_summary, name="couple_summary"),
]
