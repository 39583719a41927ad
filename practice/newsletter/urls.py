"""Public pages of the newsletter: subscription, confirmation, unsubscribe, preferences."""

from __future__ import annotations

from django.urls import path

from practice.newsletter import views

app_name = "newsletter"

urlpatterns = [
    path("newsletter/<int:practice_id>/subscribe/", views.subscribe, name="subscribe"),
    path("newsletter/<int:practice_id>/subscribe/thanks/", views.subscribe_thanks, name="subscribe_thanks"),
    path("newsletter/<int:practice_id>/embed/", views.embed, name="embed"),
    path("newsletter/confirm/<str:token>/", views.confirm, name="confirm"),
    path("newsletter/unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("newsletter/preferences/<str:token>/", views.preferences, name="preferences"),
]
