"""API shapes for accounts and tokens."""

from django.contrib.auth import get_user_model
from rest_framework import serializers
from rest_framework.exceptions import AuthenticationFailed
from rest_framework_simplejwt.serializers import TokenRefreshSerializer
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.tokens import RefreshToken
from rest_framework_simplejwt.utils import get_md5_hash_password


class MeSerializer(serializers.ModelSerializer):
    class Meta:
        model = get_user_model()
        fields = ["id", "username", "email", "is_staff", "is_superuser", "date_joined", "last_login"]
        read_only_fields = fields


class PasswordAwareTokenRefreshSerializer(TokenRefreshSerializer):
    """simplejwt checks the password digest on access tokens only; a refresh token issued before
    a password change must not mint new access tokens either."""

    def validate(self, attrs):
        refresh = RefreshToken(attrs["refresh"])
        user = (
            get_user_model()
            .objects.filter(**{api_settings.USER_ID_FIELD: refresh.payload.get(api_settings.USER_ID_CLAIM)})
            .first()
        )
        if user is not None and refresh.payload.get(api_settings.REVOKE_TOKEN_CLAIM) != get_md5_hash_password(
            user.password
        ):
            raise AuthenticationFailed("The user's password has been changed.", code="password_changed")
        return super().validate(attrs)
