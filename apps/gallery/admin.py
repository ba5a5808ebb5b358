from django.contrib import admin

from .models import Media


@admin.register(Media)
class MediaAdmin(admin.ModelAdmin):
    list_display = ("id", "owner", "kind", "width", "height", "job", "created")
    list_filter = ("kind",)
    search_fields = ("owner__username", "id")
    readonly_fields = ("id", "owner", "job", "index", "kind", "file", "width", "height", "parameters", "created")
