"""Routes of the clients app's API; ``config.api`` mounts them under ``/api/v1/``.

Appointments: register their viewset on this router (``router.register("appointments", …)``) and add
the route to the scoping matrix in ``tests/api/test_scoping.py``, which fails until it is there.
"""

from __future__ import annotations

from rest_framework.routers import SimpleRouter

from clients.api import views

router = SimpleRouter()
router.register("clients", views.ClientViewSet, basename="client")

urlpatterns: list = []
