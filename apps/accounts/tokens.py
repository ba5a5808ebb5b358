"""Is this JWT still good? One answer for API authentication, the websocket handshake, and the
token verify and refresh endpoints, so a token that one of them refuses is refused by all."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import AuthenticationFailed, InvalidToken
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken
from rest_framework_simplejwt.tokens import RefreshToken, Token
from rest_framework_simplejwt.utils import get_md5_hash_password

from .models import User


def token_user_get(token: Token) -> User:
    """The user a decoded token (signature and expiry already checked) still stands for.

    Refused with 401: a blacklisted refresh token (used by a rotation, revoked by the admin's
    rotation), a token without a user or whose user was deleted or disabled, and a token issued
    before the user's password last changed (it carries a digest of the password hash).
    """
    if token.get(api_settings.TOKEN_TYPE_CLAIM) == RefreshToken.token_type:
        # Only refresh tokens are ever blacklisted; access tokens die with the password digest.
        if BlacklistedToken.objects.filter(token__jti=token.get(api_settings.JTI_CLAIM)).exists():
            raise InvalidToken(_("Token is blacklisted"))
    user_id = token.get(api_settings.USER_ID_CLAIM)
    if user_id is None:
        raise InvalidToken(_("Token contained no recognizable user identification"))
    user = User.objects.filter(**{api_settings.USER_ID_FIELD: user_id}).first()
    if user is None:
        raise AuthenticationFailed(_("User not found"), code="user_not_found")
    if api_settings.CHECK_USER_IS_ACTIVE and not user.is_active:
        raise AuthenticationFailed(_("User is inactive"), code="user_inactive")
    if api_settings.CHECK_REVOKE_TOKEN and token.get(api_settings.REVOKE_TOKEN_CLAIM) != get_md5_hash_password(
        user.password
    ):
        raise AuthenticationFailed(_("The user's password has been changed."), code="password_changed")
    return user


class JwtAuthentication(JWTAuthentication):
    """simplejwt's Bearer authentication, with the user checked by token_user_get."""

    def get_user(self, validated_token: Token) -> User:
        return token_user_get(validated_token)


class JwtAuthenticationScheme(SimpleJWTScheme):
    """The OpenAPI schema describes JwtAuthentication as simplejwt's Bearer scheme."""

    target_class = "apps.accounts.tokens.JwtAuthentication"
