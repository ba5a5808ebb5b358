"""Installed models and LoRAs in the admin: listed from the disk and the ComfyUI servers, synced on
demand, LoRAs added by staff; ComfyUI workflow templates registered by staff."""

from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import render
from django.template.defaultfilters import filesizeformat
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from apps.core.errors import SeidraError

from .comfyui_refresh_messages import comfyui_refresh_and_tell, notes_tell
from .forms import InstalledLoraForm, LoraAddForm, WorkflowTemplateForm
from .models import InstalledLora, InstalledModel, WorkflowTemplate
from .services import catalog_sync_from_disk, lora_add_from_file, lora_add_from_hub


class _SyncFromDiskMixin:
    """A "Sync from disk" button on the change list (a POST), since rows mirror SEIDRA_MODELS_DIR."""

    change_list_template = "admin/catalog/change_list.html"

    def get_urls(self):
        prefix = f"{self.opts.app_label}_{self.opts.model_name}"
        sync = path("sync/", self.admin_site.admin_view(self.sync_view), name=f"{prefix}_sync")
        comfyui = path(
            "comfyui-refresh/", self.admin_site.admin_view(self.comfyui_refresh_view), name=f"{prefix}_comfyui_refresh"
        )
        return [sync, comfyui, *super().get_urls()]

    def changelist_view(self, request: HttpRequest, extra_context=None):
        extra_context = {**(extra_context or {}), "comfyui_configured": bool(settings.SEIDRA_COMFYUI_URLS)}
        return super().changelist_view(request, extra_context)

    def comfyui_refresh_view(self, request: HttpRequest) -> HttpResponse:
        """The ComfyUI rows follow the servers: ask each one what it lists now."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not self.has_change_permission(request):
            raise PermissionDenied
        comfyui_refresh_and_tell(request)
        return HttpResponseRedirect(reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_changelist"))

    def sync_view(self, request: HttpRequest) -> HttpResponse:
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not self.has_change_permission(request):
            raise PermissionDenied
        try:
            report = catalog_sync_from_disk()
        except SeidraError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, report.summary())
            notes_tell(request, report.notes)
        return HttpResponseRedirect(reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_changelist"))


@admin.register(InstalledModel)
class InstalledModelAdmin(_SyncFromDiskMixin, admin.ModelAdmin):
    list_display = ["name", "kind", "engine", "format", "size", "source", "is_demo", "updated"]
    list_filter = ["engine", "kind", "format", "source", "is_demo"]
    search_fields = ["name", "repo_id"]
    readonly_fields = [
        "name", "kind", "engine", "servers", "format", "path", "size", "is_demo", "source", "repo_id", "created",
        "updated",
    ]  # fmt: skip
    fields = readonly_fields

    @admin.display(description=gettext_lazy("size"), ordering="size_bytes")
    def size(self, obj: InstalledModel) -> str:
        return filesizeformat(obj.size_bytes)

    # Rows follow the files: add or remove files under SEIDRA_MODELS_DIR (or run setup_models), then sync.
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(InstalledLora)
class InstalledLoraAdmin(_SyncFromDiskMixin, admin.ModelAdmin):
    form = InstalledLoraForm
    list_display = ["name", "engine", "key_format", "trigger_words_text", "default_weight", "size", "source", "is_demo"]
    list_filter = ["engine", "key_format", "source", "is_demo", "base_model"]
    search_fields = ["name", "repo_id", "license"]
    readonly_fields = [
        "name", "path", "engine", "servers", "key_format", "size", "base_model", "is_demo", "source", "repo_id",
        "created", "updated",
    ]  # fmt: skip
    fields = ["name", "trigger_words", "default_weight", "license", *readonly_fields[1:]]

    @admin.display(description=gettext_lazy("size"), ordering="size_bytes")
    def size(self, obj: InstalledLora) -> str:
        return filesizeformat(obj.size_bytes)

    @admin.display(description=gettext_lazy("trigger words"))
    def trigger_words_text(self, obj: InstalledLora) -> str:
        return ", ".join(obj.trigger_words)

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False  # the sync would list the file again: remove it from loras/ instead

    def add_view(self, request: HttpRequest, form_url: str = "", extra_context=None) -> HttpResponse:
        """The admin's "Add" opens this form: a LoRA comes from a file, never from typed-in fields."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = LoraAddForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                if data["origin"] == LoraAddForm.FROM_FILE:
                    lora = lora_add_from_file(source_path=data["file_path"].strip(), name=data["name"] or None)
                else:
                    lora = lora_add_from_hub(
                        repo_id=data["repo_id"], filename=data["filename"], name=data["name"] or None
                    )
            except SeidraError as error:
                form.add_error("name" if error.status == 409 else form.source_field(), error.message)
            else:
                messages.success(request, _("LoRA '%(name)s' added.") % {"name": lora.name})
                return HttpResponseRedirect(reverse("admin:catalog_installedlora_change", args=[lora.pk]))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Add a LoRA"),
            "form": form,
            "has_view_permission": self.has_view_permission(request),
        }
        return render(request, "admin/catalog/installedlora/add_lora.html", context)


@admin.register(WorkflowTemplate)
class WorkflowTemplateAdmin(admin.ModelAdmin):
    """Staff only (the admin): a workflow can call any node installed on the ComfyUI server."""

    form = WorkflowTemplateForm
    list_display = ["name", "enabled", "description", "created_by", "updated"]
    list_filter = ["enabled"]
    search_fields = ["name", "description"]
    readonly_fields = ["created_by", "created", "updated"]

    def has_module_permission(self, request: HttpRequest) -> bool:
        return request.user.is_staff and super().has_module_permission(request)

    def save_model(self, request: HttpRequest, obj: WorkflowTemplate, form, change: bool) -> None:
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)
