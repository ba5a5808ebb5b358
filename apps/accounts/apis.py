"""Token and account endpoints (seed section 7). Thin: authentication is simplejwt's, lockout axes'."""

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.exceptions import AuthenticationFailed, Throttled
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt.views import TokenObtainPairView, TokenRefreshView

from .lockout import lockout_message
from .serializers import MeSerializer, PasswordAwareTokenRefreshSerializer


class TokenObtainApi(TokenObtainPairView):
    """POST username + password, get an access and a refresh token; locked out after repeated failures."""

    def post(self, request: Request, *args, **kwargs) -> Response:
        try:
            return super().post(request, *args, **kwargs)
        except AuthenticationFailed:
            # axes flags the request when the credentials are (or just became) locked out.
            if getattr(request, "axes_locked_out", False):
                raise Throttled(detail=lockout_message()) from None
            raise


class TokenRefreshApi(TokenRefreshView):
    """POST a refresh token, get a new access token and a new refresh token (the old one is blacklisted)."""

    serializer_class = PasswordAwareTokenRefreshSerializer


class MeApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=MeSerializer)
    def get(self, request: Request) -> Response:
        return Response(MeSerializer(request.user).data, status=status.HTTP_200_OK)
