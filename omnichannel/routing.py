"""Websocket routes; the live-updates consumer joins them in its own issue."""

websocket_urlpatterns: list = []
