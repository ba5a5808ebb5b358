"""Reads on media. A user sees their own media; staff may open anyone's file (moderation).

Media hidden by a moderator are gone from their owner's gallery, and a user who chose to hide
flagged media (User.nsfw_display) does not get them in lists either.
"""

import uuid
from datetime import datetime, time, timedelta

from django.db.models import QuerySet, Sum
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
    return media.order_by("-created", "index")


def media_filter_choices(*, user: User) -> dict:
    """What the grid's filters offer: the models, LoRAs and personas found in the user's own media
    (a model since removed, or a persona since deleted, can still be filtered on). Three queries."""
    mine = media_visible_to(user=user)
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
