"""API shapes for accounts and tokens."""

from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers
from rest_framework_simplejwt.exceptions import InvalidToken
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.tokens import RefreshToken, UntypedToken

from .models import NsfwDisplay
from .tokens import token_user_get


class OptionalEmailField(serializers.EmailField):
    """An address, or null when the user has none: "" is not a valid `format: email` value."""

    def to_representation(self, value):
        return value or None


class MeSerializer(serializers.ModelSerializer):
    email = OptionalEmailField(read_only=True, allow_null=True)

    class Meta:
        model = get_user_model()
        fields = ["id", "username", "email", "is_staff", "is_superuser", "date_joined", "last_login"]
        read_only_fields = fields


class TokenRefreshSerializer(serializers.Serializer):
    """A refresh token that token_user_get accepts buys a new access token and, rotated, a new
    refresh token; the old one is blacklisted. A bad token is a 401 (the view turns TokenError into one)."""

    refresh = serializers.CharField()
    access = serializers.CharField(read_only=True)

    def validate(self, attrs):
        refresh = RefreshToken(attrs["refresh"])
        token_user_get(refresh)
        data = {"access": str(refresh.access_token)}
        if api_settings.ROTATE_REFRESH_TOKENS:
            if api_settings.BLACKLIST_AFTER_ROTATION:
                _blacklisted, created = refresh.blacklist()
                if not created:
                    # Two refreshes of one token at the same moment: only the first gets a new pair.
                    raise InvalidToken(_("Token is blacklisted"))
            refresh.set_jti()
            refresh.set_exp()
            refresh.set_iat()
            refresh.outstand()
            data["refresh"] = str(refresh)
        return data


class TokenVerifySerializer(serializers.Serializer):
    """Any token (access or refresh): 200 with an empty body when token_user_get accepts it."""

    token = serializers.CharField(write_only=True)

    def validate(self, attrs):
        token_user_get(UntypedToken(attrs["token"]))
        return {}


class PreferencesSerializer(serializers.Serializer):
    """The signed-in user's display choices (the account page shows the same)."""

    nsfw_display = serializers.ChoiceField(
        choices=NsfwDisplay.choices,
        help_text="How media flagged by the NSFW detector (and not approved by a moderator) are shown to you "
        "in the gallery, its lightbox, the jobs table and the job page: hide, blur (click to reveal) or show.",
    )
