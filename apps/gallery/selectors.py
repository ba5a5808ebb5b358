"""Reads on media. A user sees their own media; staff may open anyone's file (moderation).

Media hidden by a moderator are gone from their owner's gallery, and a user who chose to hide
flagged media (User.nsfw_display) does not get them in lists either.
"""

import uuid
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.db.models import Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.accounts.models import NsfwDisplay, User
from apps.core.errors import SeidraError

from .filters import GalleryFilters
from .models import Media, MediaKind, ModerationState


def _parsed_id(media_id) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(media_id))
    except ValueError:
        return None


def media_get_for_user(*, user: User, media_id) -> Media:
    """The user's own media item (hidden by a moderator included: the owner may still delete it)."""
    pk = _parsed_id(media_id)
    media = Media.objects.filter(owner=user, pk=pk).first() if pk else None
    if media is None:
        raise SeidraError(_("No such image."), status=404)
    return media


def media_get_for_viewing(*, user: User, media_id) -> Media:
    """A media item whose file and thumbnails the user may see: their own, or anyone's for staff
    (moderation). The one rule of the file URLs, pages and API alike; anyone else gets the 404 of a
    media item that does not exist."""
    pk = _parsed_id(media_id)
    media = Media.objects.filter(pk=pk).first() if pk else None
    if media is None or not (media.owner_id == user.pk or user.is_staff):
        raise SeidraError(_("No such image."), status=404)
    return media


def media_visible_to(*, user: User) -> QuerySet[Media]:
    """The media a user's lists show: their own, less those a moderator hid, less flagged ones if
    they chose to hide them (a moderator's approval clears the flag for display)."""
    media = Media.objects.filter(owner=user).exclude(moderation=ModerationState.HIDDEN)
    if user.nsfw_display == NsfwDisplay.HIDE:
        media = media.exclude(flagged=True, moderation=ModerationState.NOT_REVIEWED)
    return media


def _day_start(day) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def media_list(*, user: User, filters: GalleryFilters) -> QuerySet[Media]:
    """The user's gallery, newest first, with the filters applied (one query, whatever the page)."""
    media = media_visible_to(user=user)
    if filters.kind:
        media = media.filter(kind=filters.kind)
    if filters.model:
        media = media.filter(model_name=filters.model)
    if filters.lora:
        media = media.filter(lora_names__contains=f"|{filters.lora}|")
    if filters.persona:
        media = media.filter(persona_id=filters.persona)
    if filters.favourite is not None:
        media = media.filter(favourite=filters.favourite)
    if filters.flagged is not None:
        media = media.filter(flagged=filters.flagged)
    if filters.date_from:
        media = media.filter(created__gte=_day_start(filters.date_from))
    if filters.date_to:
        media = media.filter(created__lt=_day_start(filters.date_to) + timedelta(days=1))
    for word in filters.q.split():
        media = media.filter(parameters__prompt__icontains=word)
    return media.order_by(*GRID_ORDER)


# The grid's order, made total by the id: pages and the lightbox's neighbours follow it exactly.
GRID_ORDER = ("-created", "index", "id")


@dataclass(frozen=True)
class GridCursor:
    """A place in the grid's order: what comes after it is the next page (keyset paging, so items
    added or deleted meanwhile neither repeat nor skip any on the pages that follow)."""

    created: datetime
    index: int
    id: uuid.UUID

    @classmethod
    def of(cls, media: Media) -> "GridCursor":
        return cls(created=media.created, index=media.index, id=media.id)

    @classmethod
    def parse(cls, raw: str | None) -> "GridCursor | None":
        """From its URL form; None for anything malformed (the grid starts again at the newest)."""
        try:
            created, index, pk = (raw or "").split("~")
            return cls(created=datetime.fromisoformat(created), index=int(index), id=uuid.UUID(pk))
        except ValueError:
            return None

    def __str__(self) -> str:
        return f"{self.created.isoformat()}~{self.index}~{self.id}"

    def after(self) -> Q:
        return (
            Q(created__lt=self.created)
            | Q(created=self.created, index__gt=self.index)
            | Q(created=self.created, index=self.index, id__gt=self.id)
        )

    def before(self) -> Q:
        return (
            Q(created__gt=self.created)
            | Q(created=self.created, index__lt=self.index)
            | Q(created=self.created, index=self.index, id__lt=self.id)
        )


@dataclass(frozen=True)
class GridPage:
    items: list[Media]
    next_cursor: GridCursor | None  # None on the last page


def media_grid_page(*, user: User, filters: GalleryFilters, after: GridCursor | None, size: int) -> GridPage:
    """One page of the grid after `after` (from the newest when None): one query, whatever the page."""
    media = media_list(user=user, filters=filters)
    if after is not None:
        media = media.filter(after.after())
    items = list(media[: size + 1])
    more = len(items) > size
    items = items[:size]
    return GridPage(items=items, next_cursor=GridCursor.of(items[-1]) if more else None)


def media_neighbours(*, user: User, media: Media, filters: GalleryFilters) -> tuple[Media | None, Media | None]:
    """The items before and after `media` in the grid with these filters (the lightbox's left and right keys)."""
    listed, here = media_list(user=user, filters=filters), GridCursor.of(media)
    reverse_order = [name[1:] if name.startswith("-") else f"-{name}" for name in GRID_ORDER]
    previous = listed.filter(here.before()).order_by(*reverse_order).first()
    following = listed.filter(here.after()).first()
    return previous, following


MAX_SELECTION = 1000  # ids in one bulk action or ZIP: one bounded IN (...) query; a script should page


def media_ids_bounded(media_ids) -> list[uuid.UUID]:
    """Selected ids as UUIDs, malformed ones dropped; more than MAX_SELECTION is refused."""
    media_ids = list(media_ids)
    if len(media_ids) > MAX_SELECTION:
        raise SeidraError(_("Select at most %(count)s items at once.") % {"count": MAX_SELECTION}, status=400)
    return [pk for pk in map(_parsed_id, media_ids) if pk]


def media_selected(*, user: User, media_ids) -> list[Media]:
    """The user's own media among selected ids, in the grid's order; others' ids and malformed ones
    are ignored (a selection may hold items deleted meanwhile in another tab)."""
    return list(Media.objects.filter(owner=user, pk__in=media_ids_bounded(media_ids)).order_by(*GRID_ORDER))


def media_get_visible(*, user: User, media_id) -> Media:
    """One item of the user's gallery as lists show it (the lightbox): their own, not hidden."""
    pk = _parsed_id(media_id)
    media = media_visible_to(user=user).filter(pk=pk).first() if pk else None
    if media is None:
        raise SeidraError(_("No such image."), status=404)
    return media


def media_filter_choices(*, user: User) -> dict:
    """What the grid's filters offer: the models, LoRAs and personas found in the user's own media
    (a model since removed, or a persona since deleted, can still be filtered on). Three queries."""
    # Without the model's default ordering: its columns would join the DISTINCT and make every row distinct.
    mine = media_visible_to(user=user).order_by()
    models = sorted(name for name in mine.values_list("model_name", flat=True).distinct() if name)
    loras = sorted(
        {name for names in mine.values_list("lora_names", flat=True).distinct() for name in names.split("|") if name}
    )
    personas = sorted(
        {
            (str(pk), name)
            for pk, name in mine.filter(persona_id__isnull=False).values_list("persona_id", "persona_name").distinct()
        },
        key=lambda item: item[1].lower(),
    )
    return {"models": models, "loras": loras, "personas": personas, "kinds": MediaKind.choices}


def media_storage_used(*, owner: User) -> int:
    """Bytes of the owner's original files (what SEIDRA_USER_STORAGE_QUOTA_MB counts)."""
    return Media.objects.filter(owner=owner).aggregate(total=Sum("file_size"))["total"] or 0


def media_recent(*, owner: User, limit: int) -> list[Media]:
    """The owner's newest images that came from a job (a job's page is where each leads)."""
    media = media_visible_to(user=owner).filter(kind=MediaKind.IMAGE, job__isnull=False).select_related("job")
    return list(media.order_by("-created", "index")[:limit])
