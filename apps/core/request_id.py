"""X-Request-ID in and out: a caller's (or proxy's) id is kept when it is well formed, else one is made.

The id tags the request's log lines (apps/core/log_context.py), is returned in the answer's
X-Request-ID header, and travels with any job the request enqueues into the worker's log lines
(apps/jobs/queueing.py job_enqueue, workers/jobs.py). A malformed id is replaced rather than
refused: a bad header from a proxy must not break the request, and it must not reach the logs
(newlines, quotes, megabytes).
"""

import re
import uuid
from collections.abc import Callable
from inspect import iscoroutinefunction

from django.core.signals import request_finished
from django.http import HttpRequest, HttpResponse
from django.utils.decorators import sync_and_async_middleware

from .log_context import request_id_var

HEADER = "X-Request-ID"
_VALID = re.compile(r"[A-Za-z0-9._:-]{1,128}")


def request_id_for(request: HttpRequest) -> str:
    given = request.headers.get(HEADER, "")
    return given if _VALID.fullmatch(given) else uuid.uuid4().hex


def _request_id_start(request: HttpRequest) -> None:
    # Left set after the middleware returns: Django logs a 4xx/5xx answer ("Not Found: ...") after the
    # middleware chain; request_finished clears it once the answer is sent.
    request.request_id = request_id_for(request)
    request_id_var.set(request.request_id)


def _request_id_forget(**kwargs) -> None:
    request_id_var.set("")


request_finished.connect(_request_id_forget, dispatch_uid="seidra.request_id.forget")


@sync_and_async_middleware
def request_id_middleware(get_response: Callable) -> Callable:
    if iscoroutinefunction(get_response):

        async def middleware(request: HttpRequest) -> HttpResponse:
            _request_id_start(request)
            response = await get_response(request)
            response[HEADER] = request.request_id
            return response

    else:

        def middleware(request: HttpRequest) -> HttpResponse:
            _request_id_start(request)
            response = get_response(request)
            response[HEADER] = request.request_id
            return response

    return middleware
