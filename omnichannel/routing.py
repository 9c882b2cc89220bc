from django.urls import path, re_path

from omnichannel.consumers import LiveConsumer, VisitorConsumer

websocket_urlpatterns = [
    path("ws/live/", LiveConsumer.as_asgi()),
    re_path(r"^ws/livechat/(?P<slug>[-a-zA-Z0-9_]+)/$", VisitorConsumer.as_asgi()),
]
