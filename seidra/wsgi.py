"""WSGI entry point (for tools that want one; the server runs ASGI under daphne)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "seidra.settings.production")
application = get_wsgi_application()
