from rest_framework.routers import SimpleRouter

from queues.api.views import QueueRoomViewSet, QueueViewSet

router = SimpleRouter()
router.register("rooms", QueueRoomViewSet, basename="room")
router.register("queue", QueueViewSet, basename="queue")

urlpatterns = router.urls
