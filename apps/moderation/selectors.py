"""Reads of moderation: the prompt blocklist's verdict on a prompt (apps.jobs.services.job_create asks it)."""

import re

from django.utils.translation import gettext as _

from apps.core.errors import ParameterError

from .blocklist import prompt_block_regex
from .models import PromptBlock


def prompt_blocked_text(*, prompt: str) -> str | None:
    """The part of `prompt` that a blocklist entry matches, or None when the prompt is allowed."""
    for pattern, is_regex in PromptBlock.objects.values_list("pattern", "is_regex"):
        try:
            found = prompt_block_regex(pattern=pattern, is_regex=is_regex).search(prompt)
        except re.error:
            continue  # refused when saved (PromptBlock.clean); one written around the admin is skipped
        if found:
            return found.group(0)
    return None


def prompt_check_allowed(*, prompt: str) -> None:
    """ParameterError naming `prompt` when the blocklist refuses it."""
    blocked = prompt_blocked_text(prompt=prompt)
    if blocked is not None:
        raise ParameterError(
            {"prompt": _("This prompt contains “%(text)s”, which is blocked on this server. Change the prompt.")
             % {"text": blocked}}
        )  # fmt: skip
