"""Routes of the practice's API; ``config.api`` mounts them under ``/api/v1/``."""

from __future__ import annotations

from rest_framework.routers import SimpleRouter

from practice.api import views

router = SimpleRouter()
router.register("subscribers", views.SubscriberViewSet, basename="subscriber")

urlpatterns: list = []
