"""Refuse a request whose query string or headers hold text no database can store.

PostgreSQL refuses NUL (0x00) in text: a query parameter that reaches a filter (`?model=a%00`, an
admin list filter), a header that is stored (django-axes keeps the User-Agent and Accept of a failed
login) or a cookie that is looked up (the session id) would be a 500 there, where SQLite stores or
misses it. Bodies are checked elsewhere: the API parsers (apps/core/parsers.py) and the pages' forms.
This middleware is the one check for the rest, before any view, session or login handler reads them:
a 400 naming the parameter or header, JSON under /api/ (the API's error shape), a short page elsewhere.
"""

from collections.abc import Callable
from inspect import iscoroutinefunction

from django.http import HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.http.cookie import parse_cookie
from django.template.loader import render_to_string
from django.utils.decorators import sync_and_async_middleware
from django.utils.translation import gettext as _

from .text import text_problem, text_problem_find, text_problem_message

API_PREFIX = "/api/"


def _header_name(meta_key: str) -> str:
    return meta_key.removeprefix("HTTP_").replace("_", "-").title()


def request_text_problem(request: HttpRequest) -> tuple[str, str] | None:
    """(parameter, header or cookie name, problem) of the first text in the query string, headers or
    cookies that cannot be stored, or None. Cookies are read apart from their header: a quoted cookie
    value may spell NUL as the escape \\000, which Django's cookie parser decodes."""
    found = text_problem_find(request.GET)
    if found:
        return found
    for key, value in request.META.items():
        if key.startswith("HTTP_") and isinstance(value, str):
            problem = text_problem(value)
            if problem:
                return _header_name(key), problem
    return _cookies_problem(request.COOKIES)


def _cookies_problem(cookies: dict[str, str]) -> tuple[str, str] | None:
    for name, value in cookies.items():
        problem = text_problem(name) or text_problem(value)
        if problem:
            return _("Cookie"), problem
    return None


def scope_text_problem(scope: dict) -> tuple[str, str] | None:
    """The same check for a websocket handshake (an ASGI scope): its query string (decoded as Django
    decodes request.GET), its headers and its cookies, which the session lookup reads."""
    found = text_problem_find(QueryDict(scope.get("query_string", b"")))
    if found:
        return found
    for name, raw in scope.get("headers", []):
        value = raw.decode("latin-1")  # how WSGI and Django read header bytes
        problem = text_problem(value)
        if problem:
            return name.decode("latin-1").title(), problem
        found = _cookies_problem(parse_cookie(value)) if name.lower() == b"cookie" else None
        if found:
            return found
    return None


def request_text_refusal(request: HttpRequest, field: str, problem: str) -> HttpResponse:
    message = text_problem_message(field, problem)
    if request.path.startswith(API_PREFIX):
        return JsonResponse({"message": message, "errors": {field: [problem]}}, status=400)
    # Rendered without the request: its context processors would read the session this refuses.
    return HttpResponse(render_to_string("400.html", {"message": message}), status=400)


@sync_and_async_middleware
def request_text_middleware(get_response: Callable) -> Callable:
    """Sync or async like its neighbours, so it adds no thread switch under ASGI."""
    if iscoroutinefunction(get_response):

        async def middleware(request: HttpRequest) -> HttpResponse:
            found = request_text_problem(request)
            return request_text_refusal(request, *found) if found else await get_response(request)

    else:

        def middleware(request: HttpRequest) -> HttpResponse:
            found = request_text_problem(request)
            return request_text_refusal(request, *found) if found else get_response(request)

    return middleware
