"""Thumbnail URLs for templates: `{% load media_files %}`, then
`<img src="{% thumbnail_url media 256 %}" srcset="{% thumbnail_srcset media %}" sizes="...">`.
Both are empty for a kind without thumbnails yet (videos, audio): the template shows something else."""

from django import template

from .. import thumbnails

register = template.Library()


@register.simple_tag
def thumbnail_url(media, size: int = 0) -> str:
    """The thumbnail of `size`, or the smallest when `size` is 0 or not one of the sizes."""
    return thumbnails.thumbnail_url(media, int(size))


@register.simple_tag
def thumbnail_srcset(media) -> str:
    """Every thumbnail with its width, for `srcset` (the browser picks by the `sizes` it is given)."""
    return ", ".join(f"{url} {size}w" for size, url in thumbnails.thumbnail_urls(media).items())
