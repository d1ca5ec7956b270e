"""WebSocket routes of every app."""

from django.urls import path

from balie.core.agent_socket import AgentConsumer

websocket_urlpatterns: list = [
    path("ws/agent/", AgentConsumer.as_asgi()),
]
