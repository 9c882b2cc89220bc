from rest_framework.routers import SimpleRouter

from queues.api.views import QueueRoomViewSet, QueueViewSet, SlaPolicyViewSet

router = SimpleRouter()
router.register("rooms", QueueRoomViewSet, basename="room")
router.register("queue", QueueViewSet, basename="queue")
router.register("sla-policies", SlaPolicyViewSet, basename="sla-policy")

urlpatterns = router.urls
