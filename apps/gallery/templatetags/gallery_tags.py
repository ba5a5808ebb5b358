"""Template tags of the gallery (`{% load gallery_tags %}`): how a media item is displayed to the
signed-in user, and its thumbnails (`<img src="{% thumbnail_url media 256 %}" srcset="{% thumbnail_srcset
media %}" sizes="...">`; both empty for a kind without thumbnails yet: the template shows something else)."""

from django import template

from apps.catalog.parameters import SCHEDULERS
from apps.gallery import serving, thumbnails
from apps.gallery.display import SHOW, media_display_decide

register = template.Library()


def _field(media, name: str, default):
    """A Media row or its dict form (the job pages' live state) alike."""
    if isinstance(media, dict):
        return media.get(name, default)
    return getattr(media, name, default)


@register.simple_tag
def media_display(media, user) -> str:
    """`{% media_display media request.user as display %}`: "show", "blur" or "hide" (apps.gallery.display)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return SHOW
    return media_display_decide(
        flagged=bool(_field(media, "flagged", False)),
        moderation=_field(media, "moderation", "") or "",
        preference=user.nsfw_display,
    )


@register.filter
def scheduler_name(key: str) -> str:
    """The scheduler's name as people know it (the catalog's list), or the key itself."""
    return SCHEDULERS.get(key, key) if key else ""


@register.simple_tag
def thumbnail_url(media, size: int = 0) -> str:
    """The thumbnail of `size`, or the smallest when `size` is 0 or not one of the sizes."""
    return thumbnails.thumbnail_url(media, int(size))


@register.simple_tag
def thumbnail_srcset(media) -> str:
    return thumbnails.thumbnail_srcset(media)


@register.simple_tag
def media_file_url(media, part: str = "") -> str:
    """`{% media_file_url media "webm" %}`: the URL of the media's file or of a video's webm or poster
    (apps.gallery.serving, the one place of these URLs); "" when it has no such file."""
    return serving.media_file_url(media, part)
