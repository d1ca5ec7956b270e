"""WebSocket routes of the chat: the visitor's socket (its own origin check, per chat account)
and the agents' chat workspace (session log-in, the agents' origin check)."""

from django.urls import path

from .consumers import VisitorConsumer

VISITOR_PREFIX = "/ws/chat/"

visitor_urlpatterns: list = [
    path("ws/chat/<str:account>/", VisitorConsumer.as_asgi()),
]
