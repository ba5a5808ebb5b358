"""allauth adapter: sign-up is closed unless SEIDRA_ALLOW_SIGNUP=1."""

from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request) -> bool:
        return settings.SEIDRA_ALLOW_SIGNUP
