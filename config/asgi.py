import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402
from django.core.asgi import get_asgi_application  # noqa: E402

django_asgi_app = get_asgi_application()

from balie.core.routing import websocket_urlpatterns  # noqa: E402
from balie.messaging.asgi import MailServerRoute  # noqa: E402

application = ProtocolTypeRouter(
    {
        # Mail servers' deliveries skip Django's request cycle (see balie/messaging/asgi.py).
        "http": MailServerRoute(django_asgi_app),
        "websocket": AllowedHostsOriginValidator(
            AuthMiddlewareStack(URLRouter(websocket_urlpatterns))
        ),
    }
)
