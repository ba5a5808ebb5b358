"""The one check of user-supplied text: what a UTF-8 page and every database can hold.

JSON can carry a lone UTF-16 surrogate as an escape ("\\ud800"): Python decodes it into a str that
cannot be encoded as UTF-8, so a row holding one breaks every page and API answer that shows it.
PostgreSQL refuses NUL characters outright. The API parsers (apps/core/parsers.py) and the
generation-parameter validator refuse both with this check; rows stored before it existed are
shown through `text_scrub`. (Form-encoded bodies cannot carry surrogates: Django decodes them with
replacement characters, and its CharField refuses NUL.)
"""

import re

from django.utils.translation import gettext as _

REPLACEMENT = "\ufffd"
_NUL = "\x00"
_BAD = re.compile("[\x00\ud800-\udfff]")


def text_problem(value: str) -> str | None:
    """Why `value` cannot be stored and shown as it is, or None when it can."""
    found = _BAD.search(value)
    if found is None:
        return None
    if found.group() == _NUL:
        return _("Must not contain NUL characters.")
    return _("Must be valid Unicode: it holds a lone UTF-16 surrogate (such as \\ud800), which UTF-8 cannot encode.")


def text_problem_message(field: str, problem: str) -> str:
    """One line naming where the text came from and what is wrong with it (an API error, a form error,
    the staff's message)."""
    return _("%(field)s: %(problem)s") % {"field": field, "problem": problem}


def text_problem_find(data, path: str = "") -> tuple[str, str] | None:
    """(field path, problem) of the first bad string in parsed input (keys included), or None.
    Paths read `prompt`, `loras.0.name`; `non_field_errors` for a bad bare string."""
    if isinstance(data, str):
        problem = text_problem(data)
        return (path or "non_field_errors", problem) if problem else None
    if isinstance(data, dict) or hasattr(data, "lists"):  # a dict, or a QueryDict from a form body
        items = data.lists() if hasattr(data, "lists") else data.items()
        for key, value in items:
            key_text = str(key)
            where = f"{path}.{key_text}" if path else key_text
            if text_problem(key_text):
                return (path or "non_field_errors", _("A field name is not valid text."))
            found = text_problem_find(value, where)
            if found:
                return found
    elif isinstance(data, list | tuple):
        for index, item in enumerate(data):
            # A list of values under one form field keeps the field's name.
            found = text_problem_find(item, f"{path}.{index}" if path and not isinstance(item, str) else path)
            if found:
                return found
    return None


def text_scrub(value):
    """`value` (or every string in a JSON-like structure) with what cannot be shown replaced by U+FFFD."""
    if isinstance(value, str):
        return _BAD.sub(REPLACEMENT, value) if _BAD.search(value) else value
    if isinstance(value, dict):
        return {text_scrub(key): text_scrub(item) for key, item in value.items()}
    if isinstance(value, list):
        return [text_scrub(item) for item in value]
    return value
