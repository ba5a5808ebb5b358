"""Job pages (htmx). Filled in by the pages work; the detail page is linked from notifications."""

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from apps.core.errors import SeidraError

from .selectors import job_get_for_user


@login_required
def job_detail_page(request: HttpRequest, job_id) -> HttpResponse:
    try:
        job = job_get_for_user(user=request.user, job_id=job_id)
    except SeidraError as error:
        raise Http404(error.message) from error
    return render(request, "jobs/job-detail.html", {"job": job})
