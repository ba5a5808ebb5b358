from django.contrib import admin

from .models import Persona


@admin.register(Persona)
class PersonaAdmin(admin.ModelAdmin):
    """Staff can look personas up (support, moderation); their owners edit them on their own pages,
    where every field is checked (apps.personas.services), so the admin only reads them."""

    list_display = ["name", "owner", "model", "nsfw_allowed", "updated"]
    list_filter = ["nsfw_allowed"]
    search_fields = ["name", "owner__username", "prompt_template"]
    list_select_related = ["owner"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
