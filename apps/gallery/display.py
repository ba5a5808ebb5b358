"""How one media item is shown to one user: the one rule behind the grid, the lightbox, the jobs
table and the job page (User.nsfw_display), so they never disagree."""

from apps.accounts.models import NsfwDisplay

from .models import ModerationState

SHOW, BLUR, HIDE = "show", "blur", "hide"


def media_display(*, flagged: bool, moderation: str, nsfw_display: str) -> str:
    """ "show", "blur" (click to reveal) or "hide". A moderator's approval clears the flag for display;
    a moderator's hiding hides it whatever the preference."""
    if moderation == ModerationState.HIDDEN:
        return HIDE
    if not flagged or moderation == ModerationState.APPROVED:
        return SHOW
    if nsfw_display == NsfwDisplay.HIDE:
        return HIDE
    if nsfw_display == NsfwDisplay.SHOW:
        return SHOW
    return BLUR
