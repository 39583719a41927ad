"""Routes of the questionnaire engine's API; the host mounts them (Tandem under ``/api/v1/``).

``router`` holds the staff viewsets, ``urlpatterns`` the respondent's endpoints behind a private link.
"""

from __future__ import annotations

from django.urls import path
from rest_framework.routers import SimpleRouter

from assessments.api import views

router = SimpleRouter()
router.register("instruments", views.InstrumentViewSet, basename="instrument")
router.register("assignments", views.AssignmentViewSet, basename="assignment")
router.register("responses", views.ResponseViewSet, basename="response")

urlpatterns = [
    path("respond/", views.RespondFormView.as_view(), name="respond-form"),
    path("respond/answers/", views.RespondAnswersView.as_view(), name="respond-answers"),
    path("respond/submit/", views.RespondSubmitView.as_view(), name="respond-submit"),
]
