"""Read and dismiss notifications. Dismiss answers htmx with the refreshed area, others with a redirect."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from apps.core.errors import SeidraError

from .selectors import notification_list
from .services import notification_dismiss, notification_dismiss_all

PAGE_SIZE = 20


@login_required
def notification_list_page(request: HttpRequest) -> HttpResponse:
    page = Paginator(notification_list(user=request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "notifications/notification-list.html", {"page": page})


@login_required
def notification_area(request: HttpRequest) -> HttpResponse:
    """The shell's notifications area alone, fetched again when a live event arrives."""
    return render(request, "notifications/_area.html")


def _back(request: HttpRequest) -> HttpResponse:
    if request.htmx:
        # The area re-renders itself with the context processor's fresh counts, still open.
        return render(request, "notifications/_area.html", {"area_open": True})
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = "notifications:list"
    return redirect(target)


@login_required
@require_POST
def notification_dismiss_view(request: HttpRequest, notification_id: int) -> HttpResponse:
    try:
        notification_dismiss(user=request.user, notification_id=notification_id)
    except SeidraError as error:
        raise Http404(error.message) from None
    return _back(request)


@login_required
@require_POST
def notification_dismiss_all_view(request: HttpRequest) -> HttpResponse:
    notification_dismiss_all(user=request.user)
    return _back(request)
