"""API body parsers that refuse poison input with a 400 before any view or serializer sees it.

- JSON nested deeper than MAX_JSON_DEPTH is refused before it is decoded: Python's decoder (and
  any code walking the result) would otherwise raise RecursionError, a 500, around 1,000 levels.
- Text that cannot be stored or shown (apps/core/text.py) is refused naming its field.
- A field the endpoint does not document is refused naming it (apps/core/body_fields.py).
They are REST_FRAMEWORK's DEFAULT_PARSER_CLASSES, so every endpoint, the token ones included,
gets them; the websocket consumers decode frames with `json_loads_bounded` too.
"""

import codecs
import re

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework.exceptions import ParseError, ValidationError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.utils import json

from .body_fields import body_serializer_for_view, unknown_fields_refuse
from .text import text_problem_find

MAX_JSON_DEPTH = 32  # real requests nest 3 levels (a body, its `loras` list, one LoRA)
# A JSON string (escapes included), so brackets inside strings are not counted as nesting.
_JSON_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.S)
_BRACKET = re.compile(r"[\[\]{}]")


class JsonInputError(ValueError):
    """Input that is not JSON this server accepts; the message says why."""


def json_too_deep(text: str, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether `text` opens more than `limit` arrays/objects inside each other; a linear scan, no recursion."""
    depth = 0
    for bracket in _BRACKET.finditer(_JSON_STRING.sub('""', text)):
        if bracket.group() in "[{":
            depth += 1
            if depth > limit:
                return True
        else:
            depth -= 1
    return False


def json_depth_message() -> str:
    return _("JSON nested more than %(depth)s levels deep is not accepted.") % {"depth": MAX_JSON_DEPTH}


def json_loads_bounded(text: str, *, strict: bool = True):
    """json.loads for untrusted input: JsonInputError (a ValueError) instead of deep recursion."""
    if json_too_deep(text):
        raise JsonInputError(json_depth_message())
    try:
        return json.loads(text, parse_constant=json.strict_constant if strict else None)
    except RecursionError:  # a limit above the interpreter's own; kept as a guard
        raise JsonInputError(json_depth_message()) from None
    except ValueError as error:
        raise JsonInputError(_("JSON parse error - %(error)s") % {"error": error}) from None


def _refuse_bad_input(data, parser_context) -> None:
    found = text_problem_find(data)
    if found:
        field, problem = found
        raise ValidationError({field: [problem]})
    unknown_fields_refuse(data, body_serializer_for_view((parser_context or {}).get("view")))


class SafeJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            text = codecs.getreader(encoding)(stream).read()
        except UnicodeDecodeError:
            message = _("JSON parse error - the body is not valid %(encoding)s.") % {"encoding": encoding}
            raise ParseError(message) from None
        try:
            data = json_loads_bounded(text, strict=self.strict)
        except JsonInputError as error:
            raise ParseError(str(error)) from None
        _refuse_bad_input(data, parser_context)
        return data


class SafeFormParser(FormParser):
    def parse(self, stream, media_type=None, parser_context=None):
        data = super().parse(stream, media_type, parser_context)
        _refuse_bad_input(data, parser_context)
        return data


class SafeMultiPartParser(MultiPartParser):
    def parse(self, stream, media_type=None, parser_context=None):
        parsed = super().parse(stream, media_type, parser_context)
        _refuse_bad_input(parsed.data, parser_context)
        # File fields are documented too: a misnamed upload is refused, not silently ignored.
        unknown_fields_refuse(dict.fromkeys(parsed.files), body_serializer_for_view((parser_context or {}).get("view")))
        return parsed
