"""ASGI entry point: HTTP through Django, websockets through Channels consumers."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "seidra.settings.production")
# Django must be set up before anything imports models (consumers, routing).
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from apps.accounts.ws_auth import JwtHeaderAuthMiddleware  # noqa: E402
from apps.core.ws_origin import SameOriginValidator  # noqa: E402
from seidra.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        # Scheme, host and port of the Origin against the site's own or CSRF_TRUSTED_ORIGINS (apps/core/ws_origin.py).
        "websocket": SameOriginValidator(
            AuthMiddlewareStack(JwtHeaderAuthMiddleware(URLRouter(websocket_urlpatterns)))
        ),
    }
)
