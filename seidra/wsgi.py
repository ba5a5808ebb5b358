"""WSGI entry point (for tools that want one; the server runs ASGI under daphne)."""

import os

from django.core.wsgi import get_wsgi_application

from seidra.tracing import tracing_setup

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "seidra.settings.production")
# Before the handler loads its middleware: the Django instrumentation adds its own (seidra/tracing.py).
tracing_setup(service="seidra-web")
application = get_wsgi_application()
