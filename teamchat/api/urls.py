from rest_framework.routers import SimpleRouter

from teamchat.api.views import ChatMessageViewSet, ChatViewSet, TeamViewSet

router = SimpleRouter()
router.register("chats", ChatViewSet, basename="chat")
router.register(r"chats/(?P<chat_id>[0-9]+)/messages", ChatMessageViewSet, basename="chat-message")
router.register("teams", TeamViewSet, basename="team")

urlpatterns = router.urls
