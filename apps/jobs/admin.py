from django.contrib import admin

from .models import Job


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):
    list_display = ("id", "owner", "kind", "status", "progress", "attempts", "worker_name", "created")
    list_filter = ("status", "kind")
    search_fields = ("owner__username", "id", "worker_name")
    readonly_fields = [field.name for field in Job._meta.fields]
