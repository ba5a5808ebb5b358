"""The staff desk: the prompt blocklist, the queue of flagged media (approve, hide, delete, one by
one or in bulk) and the moderation log. Every action goes through apps.moderation.services, which
records it."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.core.exceptions import PermissionDenied
from django.db.models import Case, IntegerField, QuerySet, Value, When
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from apps.core.text import text_problem, text_problem_message
from apps.gallery.models import ModerationState

from .models import FlaggedMedia, ModerationAction, PromptBlock
from .services import DEFAULT_REASON, moderation_approve, moderation_delete, moderation_hide


@admin.register(PromptBlock)
class PromptBlockAdmin(admin.ModelAdmin):
    list_display = ["pattern", "is_regex", "note", "created_by", "created"]
    list_filter = ["is_regex"]
    search_fields = ["pattern", "note"]
    fields = ["pattern", "is_regex", "note"]

    def save_model(self, request, obj, form, change) -> None:
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


class ScoreBandFilter(admin.SimpleListFilter):
    title = gettext_lazy("NSFW score")
    parameter_name = "score"
    BANDS = {"high": (0.8, None), "medium": (0.5, 0.8), "low": (None, 0.5)}

    def lookups(self, request, model_admin):
        return [("high", _("0.8 and above")), ("medium", _("0.5 to 0.8")), ("low", _("below 0.5"))]

    def queryset(self, request, queryset):
        band = self.BANDS.get(self.value())
        if band is None:
            return queryset
        low, high = band
        if low is not None:
            queryset = queryset.filter(nsfw_score__gte=low)
        if high is not None:
            queryset = queryset.filter(nsfw_score__lt=high)
        return queryset


class LabelFilter(admin.SimpleListFilter):
    title = gettext_lazy("detector label")
    parameter_name = "label"

    def lookups(self, request, model_admin):
        # The labels the detector gave the media on the desk (the queue is small: flagged media only).
        stored = FlaggedMedia.objects.filter(flagged=True).values_list("nsfw_labels", flat=True)
        found = {
            item["label"] for labels in stored for item in labels or [] if isinstance(item, dict) and "label" in item
        }
        return [(label, label) for label in sorted(found)]

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        # The label's name in the stored JSON text: a plain lookup that SQLite and PostgreSQL both run.
        return queryset.filter(nsfw_labels__icontains=f'"{self.value()}"')


class ModerationActionForm(ActionForm):
    reason = forms.CharField(
        label=gettext_lazy("Reason (hide, delete)"), required=False, max_length=500,
        widget=forms.TextInput(attrs={"placeholder": gettext_lazy(DEFAULT_REASON), "size": 40}),
    )  # fmt: skip


def _thumbnail(media) -> str:
    url = reverse("gallery:media-thumbnail", args=[media.pk])
    return format_html(
        '<img src="{}?size=256" class="moderation-thumbnail" alt="{}" loading="lazy" '
        'data-testid="moderation-thumbnail">',
        url, _("Flagged image"),
    )  # fmt: skip


@admin.register(FlaggedMedia)
class FlaggedMediaAdmin(admin.ModelAdmin):
    """Flagged media, not reviewed first; the thumbnail stays blurred until hovered."""

    list_display = ["thumbnail", "owner", "nsfw_score", "labels", "created", "moderation"]
    list_display_links = ["thumbnail"]
    list_filter = [ScoreBandFilter, LabelFilter, "moderation", "created", ("owner", admin.RelatedOnlyFieldListFilter)]
    date_hierarchy = "created"
    search_fields = ["owner__username"]
    list_per_page = 50
    action_form = ModerationActionForm
    actions = ["approve_selected", "hide_selected", "delete_selected_media"]
    fields = ["thumbnail", "owner", "job", "nsfw_score", "labels", "created", "moderation", "moderation_reason",
              "parameters"]  # fmt: skip
    readonly_fields = fields
    change_form_template = "admin/moderation/flaggedmedia/change_form.html"

    class Media:
        css = {"all": ["css/admin-moderation.css"]}

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).filter(flagged=True).select_related("owner")

    def get_ordering(self, request: HttpRequest) -> list:
        # Not reviewed first, then newest first (a column's header still sorts by that column).
        not_reviewed_first = Case(
            When(moderation=ModerationState.NOT_REVIEWED, then=Value(0)), default=Value(1), output_field=IntegerField()
        )
        return [not_reviewed_first.asc(), "-created"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # media come from jobs

    def get_actions(self, request: HttpRequest) -> dict:
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # ours records each deletion and tells the owner
        return actions

    @admin.display(description=gettext_lazy("image"))
    def thumbnail(self, media) -> str:
        return _thumbnail(media)

    @admin.display(description=gettext_lazy("labels"))
    def labels(self, media) -> str:
        items = [item for item in media.nsfw_labels or [] if isinstance(item, dict)]
        return format_html_join(", ", "{} {}", ((item.get("label", ""), item.get("score", "")) for item in items))

    # --- bulk actions (the reason field sits beside the action menu) ---------------------------

    def _reason(self, request: HttpRequest) -> str:
        return request.POST.get("reason", "").strip()

    def _reason_refused(self, request: HttpRequest) -> bool:
        """A reason no database can store (NUL) is told to the staff member, and nothing is done."""
        problem = text_problem(request.POST.get("reason", ""))
        if problem:
            self.message_user(request, text_problem_message("reason", problem), messages.ERROR)
        return problem is not None

    def _done(self, request: HttpRequest, text: str, count: int) -> None:
        self.message_user(request, text % {"count": count}, messages.SUCCESS)

    @admin.action(description=gettext_lazy("Approve the selected media"), permissions=["change"])
    def approve_selected(self, request: HttpRequest, queryset: QuerySet) -> None:
        for media in queryset:
            moderation_approve(media=media, actor=request.user)
        count = len(queryset)
        self._done(request, ngettext("%(count)d media item approved.", "%(count)d media items approved.", count), count)

    @admin.action(description=gettext_lazy("Hide the selected media (reason told to the owner)"),
                  permissions=["change"])  # fmt: skip
    def hide_selected(self, request: HttpRequest, queryset: QuerySet) -> None:
        if self._reason_refused(request):
            return
        for media in queryset:
            moderation_hide(media=media, actor=request.user, reason=self._reason(request))
        count = len(queryset)
        self._done(request, ngettext("%(count)d media item hidden.", "%(count)d media items hidden.", count), count)

    @admin.action(description=gettext_lazy("Delete the selected media and their files"), permissions=["delete"])
    def delete_selected_media(self, request: HttpRequest, queryset: QuerySet) -> None:
        if self._reason_refused(request):
            return
        media_items = list(queryset)
        for media in media_items:
            moderation_delete(media=media, actor=request.user, reason=self._reason(request))
        count = len(media_items)
        self._done(request, ngettext("%(count)d media item deleted.", "%(count)d media items deleted.", count), count)

    # --- one by one: the change page's buttons, and the admin's own delete (with its confirmation) -

    def delete_model(self, request: HttpRequest, obj) -> None:
        moderation_delete(media=obj, actor=request.user)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet) -> None:
        for media in queryset:
            moderation_delete(media=media, actor=request.user)

    def change_view(self, request: HttpRequest, object_id: str, form_url: str = "", extra_context=None):
        extra_context = {**(extra_context or {}), "default_reason": _(DEFAULT_REASON)}
        return super().change_view(request, object_id, form_url, extra_context)

    def get_urls(self):
        name = f"{self.opts.app_label}_{self.opts.model_name}_moderate"
        moderate = path("<path:object_id>/moderate/", self.admin_site.admin_view(self.moderate_view), name=name)
        return [moderate, *super().get_urls()]

    def moderate_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        media = self.get_object(request, object_id)
        if media is None or not self.has_change_permission(request, media):
            raise PermissionDenied
        action, reason = request.POST.get("moderation_action"), request.POST.get("reason", "")
        if self._reason_refused(request):
            return HttpResponseRedirect(reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_change",
                                                args=[media.pk]))  # fmt: skip
        if action == "approve":
            moderation_approve(media=media, actor=request.user)
            self.message_user(request, _("Approved: shown to its owner as any image."), messages.SUCCESS)
        elif action == "hide":
            moderation_hide(media=media, actor=request.user, reason=reason)
            self.message_user(
                request, _("Hidden: gone from its owner's gallery; they were told why."), messages.SUCCESS
            )
        else:
            self.message_user(request, _("Choose approve or hide."), messages.ERROR)
            return HttpResponseRedirect(reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_change",
                                                args=[media.pk]))  # fmt: skip
        return HttpResponseRedirect(reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_changelist"))


@admin.register(ModerationAction)
class ModerationActionAdmin(admin.ModelAdmin):
    """The moderation log: read-only, kept when the media item is deleted."""

    list_display = ["created", "actor", "action", "media_id", "media_owner", "reason"]
    list_filter = ["action", "created", ("actor", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["media_id", "media_owner__username", "actor__username", "reason"]
    date_hierarchy = "created"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False
