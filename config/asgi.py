import gc
import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from balie.core.asgi_requests import asgi_application  # noqa: E402

# Django's ASGI handler, with the middleware chain and the view in one worker thread.
django_asgi_app = asgi_application()

from django.conf import settings  # noqa: E402

if not settings.RUNNING_TESTS:
    # The language models (4 s with the interpreter lock held) before the first request, not
    # inside it: the suite's test of this module does not need them.
    from django.core.cache import cache  # noqa: E402
    from django.core.validators import validate_email  # noqa: E402

    from balie.core.language_detection import warm_up  # noqa: E402

    warm_up()
    # The Redis client (its import and the pool) and the address check's patterns, which
    # the first requests would otherwise each load while the others wait.
    cache.get("warm-up")
    validate_email("warm-up@voorbeeld.nl")

from balie.chat.socket_urls import (  # noqa: E402
    VISITOR_PREFIX,
    agent_urlpatterns,
    visitor_urlpatterns,
)
from balie.core.request_bodies import BodyGuard  # noqa: E402
from balie.core.socket_urls import websocket_urlpatterns  # noqa: E402
from balie.intake.mail_server import INTAKE  # noqa: E402
from balie.messaging.connectors.email.asgi import MailServerRoute  # noqa: E402

agent_sockets = AllowedHostsOriginValidator(
    AuthMiddlewareStack(URLRouter([*websocket_urlpatterns, *agent_urlpatterns]))
)
# The chat widget runs on the companies' own sites: its socket checks the origin against the
# chat account's allow-list and authenticates by the visitor token, never by a cookie.
visitor_sockets = URLRouter(visitor_urlpatterns)


async def websocket(scope, receive, send):
    if scope["path"].startswith(VISITOR_PREFIX):
        return await visitor_sockets(scope, receive, send)
    return await agent_sockets(scope, receive, send)


application = ProtocolTypeRouter(
    {
        # Mail servers' deliveries skip Django's request cycle (balie/messaging/connectors/email/asgi.py);
        # every other request's body is read within its size and time (balie/core/request_bodies.py).
        "http": MailServerRoute(BodyGuard(django_asgi_app), intake=INTAKE),
        "websocket": websocket,
    }
)

if not settings.RUNNING_TESTS:
    # What the process loaded to start (modules, URL patterns, the language models' Python
    # side) stays for its whole life: kept out of the garbage collector's full passes, which
    # otherwise walk those 150,000 objects in the middle of some request (20-300 ms on a
    # shared machine; docs/performance.md, "Inbox and SLA on a fresh database").
    gc.collect()
    gc.freeze()
