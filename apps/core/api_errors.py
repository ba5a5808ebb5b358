"""Every API error is JSON with a human `message` (plus DRF's `detail` and field errors)."""

from django.http import JsonResponse
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import exception_handler

from .errors import ParameterError, SeidraError


def _first_message(detail) -> str:
    """Flatten DRF's nested error detail into one readable line, naming the field."""
    if isinstance(detail, dict):
        parts = []
        for field_name, errors in detail.items():
            text = _first_message(errors)
            parts.append(text if field_name in ("non_field_errors", "detail") else f"{field_name}: {text}")
        return "; ".join(parts)
    if isinstance(detail, list):
        return " ".join(_first_message(item) for item in detail)
    return str(detail)


def json_exception_handler(exc, context):
    if isinstance(exc, SeidraError):
        return Response({"detail": exc.message, "message": exc.message}, status=exc.status, headers=exc.headers())
    if isinstance(exc, ParameterError):
        # Services validate input once for pages and API alike; their field errors take DRF's
        # shape here so API clients read every 400 the same way (`message` + `errors`).
        exc = ValidationError({field: [message] for field, message in exc.errors.items()})
    response = exception_handler(exc, context)
    if response is None:
        return None  # an unexpected error: Django's 500 handler answers (JSON under /api/)
    data = response.data
    if isinstance(exc, ValidationError):
        response.data = {"message": _first_message(data), "errors": data}
    elif isinstance(data, dict):
        # simplejwt nests the precise reason ("Token is expired") under `messages`.
        reasons = [str(item.get("message")) for item in data.get("messages", []) if isinstance(item, dict)]
        message = "; ".join(dict.fromkeys(reasons)) if reasons else _first_message(data.get("detail", data))
        response.data = {**data, "message": message}
    if response.status_code == status.HTTP_401_UNAUTHORIZED and "code" not in response.data:
        response.data["code"] = "not_authenticated"
    return response


def api_error_response(message: str, *, status: int, code: str | None = None) -> JsonResponse:
    """The same error shape, for the few plain Django views that answer API clients too (media files)."""
    body = {"detail": message, "message": message}
    if code:
        body["code"] = code
    return JsonResponse(body, status=status)
