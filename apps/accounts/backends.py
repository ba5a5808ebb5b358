"""Authentication backends: the guard that refuses before any password is hashed, then the one
username lookup (through username_key) for the login page, the token API and the admin."""

from allauth.account.auth_backends import AuthenticationBackend
from axes.backends import AxesStandaloneBackend
from axes.exceptions import AxesBackendPermissionDenied
from axes.handlers.proxy import AxesProxyHandler
from django.conf import settings
from django.http import HttpRequest

from .lockout import LoginRefusal, address_locked_out, login_refusal_set
from .selectors import user_get_by_login_name


class LoginGuardBackend(AxesStandaloneBackend):
    """First in AUTHENTICATION_BACKENDS. Refuses an address over SEIDRA_LOGIN_ADDRESS_LIMIT failures,
    then an account locked by axes (username key + address), without computing a password hash.

    A refusal raises PermissionDenied: Django stops trying backends and sends user_login_failed,
    so axes records the attempt too (a client that keeps trying keeps its lock)."""

    def authenticate(self, request: HttpRequest, username: str | None = None, password: str | None = None, **kwargs):
        if settings.AXES_ENABLED and request is not None:
            AxesProxyHandler.update_request(request)  # sets request.axes_ip_address (client_address)
            if address_locked_out(request):
                login_refusal_set(request, LoginRefusal.ADDRESS)
                raise AxesBackendPermissionDenied("Too many failed logins from this address")
        try:
            return super().authenticate(request, username, password, **kwargs)
        except AxesBackendPermissionDenied:
            login_refusal_set(request, LoginRefusal.ACCOUNT)
            raise


class UsernameBackend(AuthenticationBackend):
    """allauth's backend (inactive-account page, timing mitigation, permissions from ModelBackend)
    with the username matched through username_key. It replaces Django's ModelBackend, which would
    hash the password a second time on every failure."""

    def _authenticate_by_username(self, username: str, password: str):
        if not username:
            return None
        return self._check_password(user_get_by_login_name(username=username), password)
