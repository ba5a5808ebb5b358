"""Reads on media, always scoped to their owner."""

import uuid

from django.utils.translation import gettext as _

from apps.accounts.models import User
from apps.core.errors import SeidraError

from .models import Media, MediaKind


def media_get_for_user(*, user: User, media_id) -> Media:
    try:
        media = Media.objects.filter(owner=user, pk=uuid.UUID(str(media_id))).first()
    except ValueError:
        media = None
    if media is None:
        raise SeidraError(_("No such image."), status=404)
    return media


def media_recent(*, owner: User, limit: int) -> list[Media]:
    """The owner's newest images that came from a job (a job's page is where each leads)."""
    media = Media.objects.filter(owner=owner, kind=MediaKind.IMAGE, job__isnull=False).select_related("job")
    return list(media.order_by("-created", "index")[:limit])
