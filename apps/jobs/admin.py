"""Jobs for staff: find one by prompt, owner or id, see how it went. Rows are read-only and none is
added here: a job's status, worker and outputs follow its lifecycle (apps/jobs/services.py), and a
row typed in by hand would never be queued."""

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.defaultfilters import truncatechars
from django.utils.translation import gettext_lazy as _

from .models import Job

PROMPT_SHOWN_CHARS = 60


class ModelFilter(admin.SimpleListFilter):
    title = _("model")
    parameter_name = "model"

    def lookups(self, request: HttpRequest, model_admin) -> list[tuple[str, str]]:
        # The models jobs really ran with, also ones uninstalled since.
        names = Job.objects.exclude(parameters__model=None).values_list("parameters__model", flat=True)
        return [(name, name) for name in sorted(set(names)) if isinstance(name, str)]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Job]) -> QuerySet[Job]:
        return queryset.filter(parameters__model=self.value()) if self.value() else queryset


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):
    list_display = ("prompt", "owner", "status", "kind", "model", "created", "duration")
    list_filter = ("status", "kind", ModelFilter, "created")
    search_fields = ("parameters__prompt", "owner__username", "id")
    list_select_related = ("owner",)
    date_hierarchy = "created"
    readonly_fields = [field.name for field in Job._meta.fields]

    @admin.display(description=_("prompt"))
    def prompt(self, job: Job) -> str:
        return truncatechars(job.parameters.get("prompt") or "", PROMPT_SHOWN_CHARS)

    @admin.display(description=_("model"))
    def model(self, job: Job) -> str:
        return job.parameters.get("model") or ""

    @admin.display(description=_("duration"))
    def duration(self, job: Job) -> str:
        if not (job.started and job.finished):
            return ""
        return _("%(seconds).1f s") % {"seconds": (job.finished - job.started).total_seconds()}

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
