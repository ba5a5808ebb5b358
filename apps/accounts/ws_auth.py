"""Websocket authentication by JWT for API clients: `Authorization: Bearer <access token>` on the
handshake. Never in the query string, where proxies and logs would keep it. Browser pages keep
using their session (AuthMiddlewareStack, below this middleware)."""

from channels.db import database_sync_to_async
from django.contrib.auth.models import AnonymousUser
from rest_framework_simplejwt.exceptions import AuthenticationFailed, InvalidToken, TokenError

from .tokens import JwtAuthentication


def _bearer_token(scope) -> bytes | None:
    for name, value in scope.get("headers", []):
        if name == b"authorization":
            kind, _, token = value.partition(b" ")
            return token.strip() if kind.lower() == b"bearer" else b""
    return None


@database_sync_to_async
def _user_for_token(raw: bytes):
    authentication = JwtAuthentication()
    try:
        # The same checks as the API (apps.accounts.tokens): revoked, deleted or disabled users are refused.
        return authentication.get_user(authentication.get_validated_token(raw))
    except (InvalidToken, TokenError, AuthenticationFailed):
        return AnonymousUser()


class JwtHeaderAuthMiddleware:
    def __init__(self, inner) -> None:
        self.inner = inner

    async def __call__(self, scope, receive, send):
        token = _bearer_token(scope)
        if token is not None:
            # A bad token is refused even if a session cookie came along: the client asked for JWT.
            user = await _user_for_token(token) if token else AnonymousUser()
            scope = dict(scope, user=user)
        return await self.inner(scope, receive, send)
