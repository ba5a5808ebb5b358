from allauth.account.admin import EmailAddressAdmin
from allauth.account.models import EmailAddress as AllauthEmailAddress
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from .models import EmailAddress, User

# One "Accounts" section: allauth's addresses move next to the users (see EmailAddress).
admin.site.unregister(AllauthEmailAddress)
admin.site.register(EmailAddress, EmailAddressAdmin)


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ["username", "email", "is_staff", "is_active", "password_changed_at", "last_login"]
    readonly_fields = ["password_changed_at", "password_origin", "last_login", "date_joined"]
    fieldsets = [
        *BaseUserAdmin.fieldsets,
        (_("Password history"), {"fields": ["password_changed_at", "password_origin"]}),
    ]
