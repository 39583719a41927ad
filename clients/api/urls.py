"""Routes of the clients app's API; ``config.api`` mounts them under ``/api/v1/``.

Every route is also in the scoping matrix (``tests/api/test_scoping.py``), which fails until it is there.
"""

from __future__ import annotations

from rest_framework.routers import SimpleRouter

from clients.api import newsletter, views
from clients.couples import api as couples

router = SimpleRouter()
router.register("clients", views.ClientViewSet, basename="client")
router.register("appointments", views.AppointmentViewSet, basename="appointment")
router.register("questionnaire-plans", views.QuestionnairePlanViewSet, basename="questionnaire-plan")
router.register("subscribers", newsletter.SubscriberViewSet, basename="subscriber")
router.register("couples", couples.CoupleViewSet, basename="couple")
router.register("couple-assignments", couples.CoupleAssignmentViewSet, basename="couple-assignment")

urlpatterns: list = []
