"""Websocket routes of every app, gathered for asgi.py."""

from apps.jobs.routing import websocket_urlpatterns as job_routes
from apps.notifications.routing import websocket_urlpatterns as notification_routes

websocket_urlpatterns = [*notification_routes, *job_routes]
