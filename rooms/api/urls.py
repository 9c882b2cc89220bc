from rest_framework.routers import SimpleRouter

from rooms.api.views import RoomMessageViewSet, TagViewSet

# `rooms/` itself is registered by queues.api, whose viewset adds the queue actions.
router = SimpleRouter()
router.register(r"rooms/(?P<room_id>[0-9]+)/messages", RoomMessageViewSet, basename="room-message")
router.register("tags", TagViewSet, basename="tag")

urlpatterns = router.urls
