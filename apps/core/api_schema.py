"""Pieces of the OpenAPI schema shared by every app: the error shape of apps/core/api_errors.py,
and an integer field whose step the schema states as `multipleOf`."""

from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.plumbing import build_basic_type
from drf_spectacular.types import OpenApiTypes
from rest_framework import serializers


class ApiErrorSerializer(serializers.Serializer):
    """Every error answer of the API (apps/core/api_errors.py)."""

    message = serializers.CharField(help_text="What went wrong, naming the field(s) concerned.")
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text="On 400: field name -> messages.",
    )
    detail = serializers.CharField(required=False, help_text="The same reason, as DRF and simplejwt name it.")
    code = serializers.CharField(
        required=False, help_text="On 401 and 429: a stable code, e.g. not_authenticated, token_not_valid."
    )


class IntegerStepField(serializers.IntegerField):
    """An integer that must be a multiple of `step`. The schema says so; the check stays with the
    endpoint's validator (this field may only document a body)."""

    def __init__(self, *, step: int, **kwargs) -> None:
        self.step = step
        super().__init__(**kwargs)


class IntegerStepFieldExtension(OpenApiSerializerFieldExtension):
    target_class = IntegerStepField

    def map_serializer_field(self, auto_schema, direction):
        schema = auto_schema._map_serializer_field(self.target, direction, bypass_extensions=True)
        return {**(schema or build_basic_type(OpenApiTypes.INT)), "multipleOf": self.target.step}
