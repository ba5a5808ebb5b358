"""How one media item is shown to one user: the single rule behind the grid, the lightbox, the jobs
table and the job page (the lists' query, apps.gallery.selectors.media_visible_to, applies the same
rule in SQL).

- hidden by a moderator: "hide", whatever the preference;
- flagged by the detector and not approved by a moderator: the user's choice (User.nsfw_display);
- anything else: "show".
"""

from apps.accounts.models import NsfwDisplay

from .models import ModerationState

HIDE, BLUR, SHOW = NsfwDisplay.HIDE.value, NsfwDisplay.BLUR.value, NsfwDisplay.SHOW.value


def media_display_decide(*, flagged: bool, moderation: str, preference: str | None) -> str:
    """ "hide", "blur" or "show", from the media's flag and moderation state and the viewer's preference."""
    if moderation == ModerationState.HIDDEN:
        return HIDE
    if not flagged or moderation == ModerationState.APPROVED:
        return SHOW
    return preference if preference in (HIDE, BLUR, SHOW) else BLUR


def media_display(media, user) -> str:
    """The decision for a Media row and a user (an anonymous one gets the default, blur)."""
    return media_display_decide(
        flagged=media.flagged, moderation=media.moderation, preference=getattr(user, "nsfw_display", None)
    )
