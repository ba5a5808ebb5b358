from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "apps.accounts"
    label = "accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        from django.contrib.auth.signals import user_login_failed

        from .signals import login_failure_count

        # Every failed login (wrong password, unknown user, refused by a lock) on pages, API and admin.
        user_login_failed.connect(login_failure_count, dispatch_uid="seidra-login-failure-metric")
