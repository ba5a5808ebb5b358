"""Token and account endpoints (seed section 7). Thin: authentication is simplejwt's, lockout axes',
whether a token is still good apps.accounts.tokens'."""

from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.exceptions import APIException, AuthenticationFailed
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt.serializers import TokenObtainPairSerializer
from rest_framework_simplejwt.views import TokenObtainPairView, TokenViewBase

from apps.core.api_schema import ApiErrorSerializer
from apps.core.parsers import SafeJSONParser

from .lockout import lockout_payload
from .serializers import MeSerializer, PreferencesSerializer, TokenRefreshSerializer, TokenVerifySerializer
from .services import user_preferences_update


class LoginRefused(APIException):
    """429 with Retry-After (DRF adds the header from `wait`) and the project's error shape."""

    status_code = status.HTTP_429_TOO_MANY_REQUESTS

    def __init__(self, request: Request) -> None:
        payload, self.wait = lockout_payload(request)
        super().__init__(detail={"detail": payload["detail"], "code": payload["code"]})


def _token_responses(ok, *, refused: str, locked_out: str | None = None) -> dict:
    """The answers of a token endpoint, errors in the project's shape (apps/core/api_errors.py)."""
    responses = {
        200: ok,
        400: OpenApiResponse(ApiErrorSerializer, description="A field is missing, unknown or malformed: `errors`."),
        401: OpenApiResponse(ApiErrorSerializer, description=refused),
    }
    if locked_out:
        responses[429] = OpenApiResponse(ApiErrorSerializer, description=locked_out)
    return responses


@extend_schema_view(
    post=extend_schema(
        responses=_token_responses(
            TokenObtainPairSerializer,
            refused="Wrong username or password, or the account is disabled.",
            locked_out="Too many failed logins for this username or from this address: the Retry-After header "
            "says how many seconds to wait.",
        )
    )
)
class TokenObtainApi(TokenObtainPairView):
    """POST username + password, get an access and a refresh token; locked out after repeated failures."""

    def post(self, request: Request, *args, **kwargs) -> Response:
        try:
            return super().post(request, *args, **kwargs)
        except AuthenticationFailed:
            # The login guard or axes flags the request when the address or the account is locked out.
            if getattr(request, "axes_locked_out", False):
                raise LoginRefused(request) from None
            raise


@extend_schema_view(
    post=extend_schema(
        responses=_token_responses(
            TokenRefreshSerializer,
            refused="The refresh token is invalid, expired, already used, or older than the last password change.",
        )
    )
)
class TokenRefreshApi(TokenViewBase):
    """POST a refresh token, get a new access token and a new refresh token (the old one is blacklisted)."""

    serializer_class = TokenRefreshSerializer


@extend_schema_view(
    post=extend_schema(
        responses=_token_responses(
            OpenApiResponse(description="The token is good: every endpoint accepts it now."),
            refused="The token is invalid or expired, or its user can no longer sign in; `message` says which.",
        )
    )
)
class TokenVerifyApi(TokenViewBase):
    """POST a token: 200 while every API endpoint would accept it, 401 (with the reason) otherwise."""

    serializer_class = TokenVerifySerializer


class MeApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        responses={200: MeSerializer, 401: OpenApiResponse(ApiErrorSerializer, description="No valid credentials.")}
    )
    def get(self, request: Request) -> Response:
        return Response(MeSerializer(request.user).data, status=status.HTTP_200_OK)


class PreferencesApi(APIView):
    """The signed-in user's preferences: GET reads them, PUT replaces them (every field required)."""

    permission_classes = [IsAuthenticated]
    parser_classes = [SafeJSONParser]
    serializer_class = PreferencesSerializer  # the documented body (apps/core/body_fields.py)

    @extend_schema(
        operation_id="me_preferences_retrieve",
        summary="Read your preferences",
        responses={
            200: PreferencesSerializer,
            401: OpenApiResponse(ApiErrorSerializer, description="No valid credentials."),
        },
    )
    def get(self, request: Request) -> Response:
        return Response(PreferencesSerializer(request.user).data)

    @extend_schema(
        operation_id="me_preferences_update",
        summary="Change your preferences",
        responses={
            200: PreferencesSerializer,
            400: OpenApiResponse(
                ApiErrorSerializer, description="A field is missing, unknown or not one of its choices."
            ),
            401: OpenApiResponse(ApiErrorSerializer, description="No valid credentials."),
        },
    )
    def put(self, request: Request) -> Response:
        body = PreferencesSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        user = user_preferences_update(user=request.user, **body.validated_data)
        return Response(PreferencesSerializer(user).data)
