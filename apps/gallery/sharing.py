"""Share links: a URL to one media item that works without an account until it expires or is revoked.

The URL carries a token signed with django.core.signing (its own salt) that names the ShareLink row
and the moment it was made. A link works while all of these hold: the signature is good, it is
younger than SEIDRA_SHARE_LINK_DAYS (signing's max_age), the row exists, it is before the row's
`expires`, the row is not revoked and no moderator hid the media. The token is the same each time
it is shown (it is signed with the row's creation time), so the owner can copy the link again later.

What a visitor sees is the image and its prompt: the file they get has its text chunks (all the
parameters, the job, the persona) taken out. Media in a bucket are not sent by the web: the visitor is
redirected to a copy without the text chunks, stored beside the original on the first visit.
"""

import struct
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.accounts.models import User
from apps.core.errors import SeidraError
from apps.core.media_storage import file_exists, file_write_exact

from .models import Media, ModerationState, ShareLink

SALT = "seidra.gallery.share-link"
MAX_ACTIVE_LINKS = 20  # per media item: a few people to send it to, not a mailing list


class _CreationTimeSigner(signing.TimestampSigner):
    """A TimestampSigner that signs with the link's creation time instead of now."""

    def __init__(self, *, at: int | None = None) -> None:
        super().__init__(salt=SALT)
        self.at = at

    def timestamp(self) -> str:
        return signing.b62_encode(self.at) if self.at is not None else super().timestamp()


def _max_age() -> timedelta:
    return timedelta(days=settings.SEIDRA_SHARE_LINK_DAYS)


def share_link_token(link: ShareLink) -> str:
    return _CreationTimeSigner(at=int(link.created.timestamp())).sign(link.pk.hex)


def share_link_url(link: ShareLink) -> str:
    """The link's public page (a path: the page adds the host the visitor used)."""
    return reverse("share:page", args=[share_link_token(link)])


def _invalid() -> SeidraError:
    return SeidraError(_("This share link is no longer valid: it expired, was revoked, or never existed."), status=404)


def share_link_resolve(token: str) -> ShareLink:
    """The live link a token names, with its media; SeidraError 404 for any other token."""
    try:
        value = _CreationTimeSigner().unsign(token, max_age=_max_age())
    except signing.BadSignature as error:  # SignatureExpired included
        raise _invalid() from error
    link = ShareLink.objects.select_related("media").filter(pk=value).first()  # our own signed hex id
    if link is None or link.revoked is not None or link.expires <= timezone.now():
        raise _invalid()
    if link.media.moderation == ModerationState.HIDDEN:  # a moderator took it down: its links stop too
        raise _invalid()
    return link


def share_links_active(*, media: Media) -> list[ShareLink]:
    return list(media.share_links.filter(revoked__isnull=True, expires__gt=timezone.now()).order_by("-created"))


@transaction.atomic
def share_link_create(*, media: Media, user: User) -> ShareLink:
    """A new link to `media` (the caller checked that `user` owns it), valid SEIDRA_SHARE_LINK_DAYS."""
    Media.objects.select_for_update().filter(pk=media.pk).first()  # two clicks cannot pass the limit together
    if len(share_links_active(media=media)) >= MAX_ACTIVE_LINKS:
        message = _("This image already has %(count)s active share links: revoke one first.")
        raise SeidraError(message % {"count": MAX_ACTIVE_LINKS}, status=409)
    return ShareLink.objects.create(media=media, created_by=user, expires=timezone.now() + _max_age())


def share_links_revoke(*, links: QuerySet[ShareLink], user: User) -> int:
    """Revoke links (by their media's owner, or staff in the admin: the caller checked which); one
    already revoked keeps its first revocation. Returns how many were revoked now."""
    return links.filter(revoked__isnull=True).update(revoked=timezone.now(), revoked_by=user)


def share_link_revoke(*, link: ShareLink, user: User) -> ShareLink:
    share_links_revoke(links=ShareLink.objects.filter(pk=link.pk), user=user)
    link.refresh_from_db()
    return link


def share_link_get_for_owner(*, media: Media, link_id) -> ShareLink:
    link = media.share_links.filter(pk=link_id).first()
    if link is None:
        raise SeidraError(_("No such share link."), status=404)
    return link


# PNG chunks that carry text (the parameters): left out of what a visitor downloads.
_TEXT_CHUNKS = {b"tEXt", b"zTXt", b"iTXt"}
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_without_text(data: bytes) -> bytes:
    """The same PNG, pixels untouched, without its text chunks (copied chunk by chunk, no decoding)."""
    if not data.startswith(_PNG_SIGNATURE):
        return data
    kept, offset = [_PNG_SIGNATURE], len(_PNG_SIGNATURE)
    while offset + 8 <= len(data):
        (length,) = struct.unpack(">I", data[offset : offset + 4])
        kind = data[offset + 4 : offset + 8]
        end = offset + 12 + length  # length, type, data, CRC
        chunk = data[offset:end]
        if kind not in _TEXT_CHUNKS:
            kept.append(chunk)
        offset = end
    return b"".join(kept)


def shared_copy_name(media: Media) -> str:
    """Where a bucket keeps the shared image without its text chunks: visitors are redirected to that
    object, never to the original (apps.core.media_storage). Deleted with the media."""
    return f"shared/{media.owner_id}/{media.pk}.png"


def shared_copy_get(media: Media) -> str:
    """The name of the shared image's text-less copy in the bucket, written on the first visit.
    FileNotFoundError when the original is missing."""
    name = shared_copy_name(media)
    if not file_exists(name):
        with media.file.open("rb") as original:
            file_write_exact(name, png_without_text(original.read()))
    return name
