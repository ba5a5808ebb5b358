"""Shell pages: the sections that later features build, with an honest empty state until then, and the
error pages. The home page composes the feature apps: apps/home."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponsePermanentRedirect, JsonResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.utils.translation import gettext_lazy as _

# Each navigation section. Sections whose feature has landed have their own page (seidra/page_urls.py);
# the others show their empty state until then.
SECTIONS = {
    "create": {"title": _("Create"), "heading": _("Create new artwork")},
    "jobs": {"title": _("Jobs"), "heading": _("Jobs")},
    "gallery": {
        "title": _("Gallery"),
        "heading": _("Gallery"),
        "empty": _("Your gallery is empty. Generated images and videos will appear here."),
    },
    "personas": {
        "title": _("Personas"),
        "heading": _("Personas"),
        "empty": _("No personas yet. Reusable characters and styles will be managed here."),
    },
    "models": {"title": _("Models"), "heading": _("Models")},
}


@login_required
def section(request: HttpRequest, *, name: str) -> HttpResponse:
    return render(request, "core/section.html", {"section": SECTIONS[name], "section_name": name})


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
