"""ASGI entry point: ordinary pages over HTTP, and the live meeting feed over WebSockets (Django Channels).

Served by Daphne (`copro runserver` in development, `daphne copro.asgi:application` in production; see
docs/deployment.md). WebSockets are accepted only from pages of this site (the Origin must be one of
ALLOWED_HOSTS) and carry the visitor's session, so the feed applies the same access rules as its page.
"""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "copro.settings")
# Django is set up (apps loaded) before anything that imports models.
django_asgi_app = get_asgi_application()

from django.db import connections  # noqa: E402

# Under ASGI a request's synchronous code runs in a worker thread, and each thread keeps its own connection:
# Django's advice is to turn persistent connections off (docs: "Persistent connections", ASGI), so every
# request and every consumer call closes its connection when done. (settings_dict is shared by the
# connections of every thread.)
for _alias in connections:
    connections[_alias].settings_dict["CONN_MAX_AGE"] = 0

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from copro.live.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": AllowedHostsOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
    }
)
