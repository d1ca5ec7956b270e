"""WebSocket routes of the chat: the visitor's socket (its own origin check, per chat account;
`config/asgi.py` routes it apart) and the agents' chat workspace (session log-in, the agents'
origin check, routed beside `/ws/agent/`)."""

from django.urls import path

from .visitor_socket import VisitorConsumer
from .workspace_socket import WorkspaceConsumer

VISITOR_PREFIX = "/ws/chat/"

visitor_urlpatterns: list = [
    path("ws/chat/<str:account>/", VisitorConsumer.as_asgi()),
]
agent_urlpatterns: list = [
    path("ws/werkplek/", WorkspaceConsumer.as_asgi()),
]
