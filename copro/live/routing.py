"""WebSocket routes (copro.asgi): the live feed of a meeting."""

from django.urls import path

from copro.live.consumers import FeedConsumer

websocket_urlpatterns = [
    path("ws/p/<slug:slug>/meetings/<int:meeting_id>/live/", FeedConsumer.as_asgi()),
]
