"""Request bodies may hold only the fields their endpoint documents: a typo ("cfg_scale", a LoRA's
"wieght") is a 400 naming it, instead of a job that silently runs without it.

The documented fields are those of the view's request serializer: `get_serializer_class()` (the
token views) or the `serializer_class` attribute (our APIViews, where drf-spectacular reads it for
the schema too), so the schema and this check read one declaration. A view that declares none takes
no body fields. The API's body parsers (apps/core/parsers.py) run the check, so every write endpoint
gets it without a line of its own.
"""

from collections.abc import Mapping

from django.utils.translation import gettext as _
from rest_framework import serializers
from rest_framework.exceptions import ValidationError


def body_serializer_for_view(view) -> serializers.BaseSerializer | None:
    """The serializer documenting the view's request body, or None when it takes none."""
    if view is None:
        return None
    get_class = getattr(view, "get_serializer_class", None)
    serializer_class = get_class() if callable(get_class) else getattr(view, "serializer_class", None)
    return serializer_class() if serializer_class is not None else None


def _writable_fields(serializer: serializers.Serializer) -> dict:
    return {name: field for name, field in serializer.fields.items() if not field.read_only}


def _unknown_fields(data, serializer, path: str, found: dict[str, list[str]]) -> None:
    """Collect `path -> known field names` for each key of `data` that `serializer` does not declare."""
    if isinstance(serializer, serializers.ListSerializer) or isinstance(serializer, serializers.ListField):
        if isinstance(data, list):
            for index, item in enumerate(data):
                _unknown_fields(item, serializer.child, f"{path}[{index}]", found)
        return
    if not isinstance(serializer, serializers.Serializer) or not isinstance(data, Mapping):
        return  # a plain value: its own validation says what is wrong with it
    fields = _writable_fields(serializer)
    for key, value in data.items():
        name = f"{path}.{key}" if path else str(key)
        if key in fields:
            _unknown_fields(value, fields[key], name, found)
        else:
            found[name] = sorted(fields)


def unknown_fields_refuse(data, serializer: serializers.BaseSerializer | None) -> None:
    """ValidationError naming each field of `data` (nested ones as `loras[0].wieght`) that `serializer`
    does not declare, with the fields it does; None declares no field at all."""
    found: dict[str, list[str]] = {}
    if serializer is None:
        if isinstance(data, Mapping):
            found = {str(key): [] for key in data}
    else:
        _unknown_fields(data, serializer, "", found)
    if not found:
        return
    errors = {}
    for name, known in found.items():
        if known:
            errors[name] = [_("Unknown field. Known fields: %(fields)s.") % {"fields": ", ".join(known)}]
        else:
            errors[name] = [_("Unknown field: this endpoint takes no fields in its body.")]
    raise ValidationError(errors)


class BodyFieldsRefusedMixin:
    """For API views whose writes read no body (cancel, delete): the body is parsed anyway, so a
    field sent there is refused like on any other endpoint instead of being silently ignored."""

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)  # authentication and permissions answer first
        if request.method in ("POST", "PUT", "PATCH", "DELETE"):
            request.data  # noqa: B018 - parsing runs unknown_fields_refuse
