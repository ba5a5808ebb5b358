"""How a prompt blocklist entry (PromptBlock) matches: one rule for the check and for its validation."""

import re


def prompt_block_regex(*, pattern: str, is_regex: bool) -> re.Pattern:
    """A blocklist entry as a compiled expression: a word matches whole words only, a regular
    expression anywhere; both ignore case. re.error for an invalid expression."""
    if not is_regex:
        # Lookarounds rather than \b, so a "word" that starts or ends with punctuation still matches.
        return re.compile(rf"(?<!\w){re.escape(pattern.strip())}(?!\w)", re.IGNORECASE)
    return re.compile(pattern, re.IGNORECASE)
