"""The error pages and the favicon. The navigation's pages come from the feature apps
(seidra/page_urls.py); the home page composes them (apps/home)."""

from django.http import HttpRequest, HttpResponse, HttpResponsePermanentRedirect, JsonResponse
from django.shortcuts import render
from django.templatetags.static import static


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if request.path.startswith("/api/"):
        message = f"No API endpoint or object at {request.path}."
        return JsonResponse({"detail": "Not found.", "message": message}, status=404)
    return render(request, "404.html", status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    if request.path.startswith("/api/"):
        message = "Internal server error; the details are in the server log."
        return JsonResponse({"detail": "Server error.", "message": message}, status=500)
    return render(request, "500.html", status=500)


def favicon(request: HttpRequest) -> HttpResponse:
    """Browsers and tools ask for /favicon.ico whatever a page links: send them to the site's icon."""
    return HttpResponsePermanentRedirect(static("favicon.svg"))
