from django.contrib import admin, messages
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .models import Media, ShareLink
from .sharing import share_links_revoke


@admin.register(Media)
class MediaAdmin(admin.ModelAdmin):
    list_display = ("id", "owner", "kind", "width", "height", "file_size", "job", "created")
    list_filter = ("kind",)
    search_fields = ("owner__username", "id")
    readonly_fields = (
        "id", "owner", "job", "index", "kind", "file", "width", "height", "file_size", "parameters", "created",
    )  # fmt: skip


class ShareLinkState(admin.SimpleListFilter):
    title = _("state")
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("active", _("Active")), ("revoked", _("Revoked")), ("expired", _("Expired"))]

    def queryset(self, request, queryset):
        now = timezone.now()
        if self.value() == "active":
            return queryset.filter(revoked__isnull=True, expires__gt=now)
        if self.value() == "revoked":
            return queryset.filter(revoked__isnull=False)
        if self.value() == "expired":
            return queryset.filter(revoked__isnull=True, expires__lte=now)
        return queryset


@admin.register(ShareLink)
class ShareLinkAdmin(admin.ModelAdmin):
    """Staff can revoke anyone's link (a shared image reported to them, say); links are made by owners."""

    list_display = ("id", "media", "created_by", "created", "expires", "revoked", "revoked_by")
    list_filter = (ShareLinkState,)
    list_select_related = ("media", "created_by", "revoked_by")
    search_fields = ("created_by__username", "media__id", "id")
    readonly_fields = ("id", "media", "created_by", "created", "expires", "revoked", "revoked_by")
    actions = ["revoke"]

    def has_add_permission(self, request) -> bool:
        return False

    @admin.action(description=_("Revoke the selected share links"), permissions=["change"])
    def revoke(self, request, queryset):
        count = share_links_revoke(links=queryset, user=request.user)
        message = ngettext("%(count)d share link revoked.", "%(count)d share links revoked.", count)
        self.message_user(request, message % {"count": count}, messages.SUCCESS)
