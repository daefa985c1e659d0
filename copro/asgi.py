"""ASGI entry point: ordinary pages over HTTP, and the live meeting feed over WebSockets (Django Channels)."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "copro.settings")
django_asgi_app = get_asgi_application()

application = django_asgi_app
