"""ASGI entry point: HTTP through Django on a thread pool, websockets through Channels consumers."""

import os

from django.core.wsgi import get_wsgi_application

from seidra.tracing import tracing_setup

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "seidra.settings.production")
# Before the handler loads its middleware: the Django instrumentation adds its own (seidra/tracing.py).
tracing_setup(service="seidra-web")
# Django must be set up before anything imports models (consumers, routing).
django_wsgi_app = get_wsgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.conf import settings  # noqa: E402

from apps.accounts.ws_auth import JwtHeaderAuthMiddleware  # noqa: E402
from apps.core.ws_origin import SameOriginValidator  # noqa: E402
from seidra.http_threads import ThreadPoolWsgiToAsgi  # noqa: E402
from seidra.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        # Django's WSGI handler on a bounded thread pool, not its ASGI handler (see seidra/http_threads.py).
        "http": ThreadPoolWsgiToAsgi(django_wsgi_app, threads=settings.SEIDRA_HTTP_THREADS),
        # Scheme, host and port of the Origin against the site's own or CSRF_TRUSTED_ORIGINS (apps/core/ws_origin.py).
        "websocket": SameOriginValidator(
            AuthMiddlewareStack(JwtHeaderAuthMiddleware(URLRouter(websocket_urlpatterns)))
        ),
    }
)
