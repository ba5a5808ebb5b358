"""Job pages (htmx): create (the image form and the video panel), the jobs table, a job's detail,
and the cancel/retry/delete actions.

A job appears in three shapes: a table row (`job-row-<id>`), a card in the create page's recent
jobs (`job-card-<id>`) and the detail page (`job-detail-<id>`). Each holds the same live parts
(`job-<id>-status`, `-progress`...), which the websocket updates out of band. The actions answer
htmx with the shape their target has (the HX-Target header names it), others with a redirect.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseClientRedirect

from apps.catalog.parameters import ParameterError
from apps.catalog.selectors import default_model_name, lora_list, model_list
from apps.core.errors import SeidraError
from apps.gallery.selectors import media_get_for_user

from .forms import ImageJobForm
from .models import Job, JobKind, JobStatus, RetrySeed
from .selectors import job_get_for_user, job_list, job_list_filters, job_queue_places
from .services import job_cancel, job_create, job_delete, job_retry
from .video_forms import VideoJobForm
from .video_submit import video_job_create

PAGE_SIZE = 20
RECENT_JOBS = 8
ITEM_TEMPLATES = {
    "row": "jobs/_job-row.html",
    "card": "jobs/_job-card.html",
    "detail": "jobs/_job-detail-body.html",
}


def _job_or_404(request: HttpRequest, job_id) -> Job:
    try:
        return job_get_for_user(user=request.user, job_id=job_id)
    except SeidraError as error:
        raise Http404(error.message) from error


# --- Create ---------------------------------------------------------------------------------------


def _with_headers(response: HttpResponse, headers: dict[str, str]) -> HttpResponse:
    for name, value in headers.items():
        response[name] = value
    return response


def _remix_initial(request: HttpRequest, models: list, loras: list) -> dict:
    """`?remix=<media id>`: the form filled from one of the user's images, its seed included, so
    Generate makes the same image again (another user's image is a 404). What this server no longer
    has is left out and said."""
    media_id = request.GET.get("remix")
    if request.method != "GET" or not media_id:
        return {}
    try:
        media = media_get_for_user(user=request.user, media_id=media_id)
    except SeidraError as error:
        raise Http404(error.message) from error
    initial, missing_loras = ImageJobForm.initial_from_parameters(
        media.parameters, installed_loras=[lora.name for lora in loras]
    )
    if initial.get("model") and initial["model"] not in [model.name for model in models]:
        message = _("The model of this image, %(name)s, is not installed here: the default model is selected.")
        messages.warning(request, message % {"name": initial.pop("model")})
    if missing_loras:
        message = _("These LoRAs of the image are not installed here and were left out: %(names)s.")
        messages.warning(request, message % {"names": ", ".join(missing_loras)})
    messages.info(request, _("Filled from your image, its seed included: Generate makes it again."))
    return initial


@login_required
def job_create_page(request: HttpRequest) -> HttpResponse:
    models = list(model_list(kind="checkpoint"))
    loras = list(lora_list())
    form = ImageJobForm(
        request.POST if request.method == "POST" else None,
        # ?remix= fills it from an image (its prompt is already composed: no persona), ?persona= picks one.
        initial={"persona": request.GET.get("persona", ""), **_remix_initial(request, models, loras)},
        models=models,
        loras=loras,
        default_model=default_model_name(),
        owner=request.user,
    )
    job, status, retry_headers = None, 200, {}
    if request.method == "POST":
        status = 400
        if form.is_valid():  # without a model, the validator names the missing one
            try:
                job = job_create(owner=request.user, parameters=form.cleaned_data["parameters"])
            except ParameterError as error:  # the catalog changed between the two checks
                form.add_parameter_errors(error)
            except SeidraError as error:  # the queue limit (429)
                form.add_error(None, error.message)
                status, retry_headers = error.status, error.headers()
    if request.htmx and request.method == "POST":
        # The form again (the values stay for the next try), and the new job on top of the list.
        response = render(request, "jobs/_job-create-response.html", {"form": form, "job": job})
        return _with_headers(response, retry_headers)
    if job is not None:
        messages.success(request, _("Job queued. It appears in Recent jobs with its live progress."))
        return redirect("pages:create")
    context = _create_page_context(request, form=form, video_form=VideoJobForm(owner=request.user), models=models)
    return _with_headers(render(request, "jobs/job-create.html", context, status=status), retry_headers)


def _create_page_context(request: HttpRequest, *, form: ImageJobForm, video_form: VideoJobForm, models: list) -> dict:
    return {
        "form": form,
        "video_form": video_form,
        "has_models": bool(models),
        "recent_jobs": job_list(owner=request.user)[:RECENT_JOBS],
        "recent_limit": RECENT_JOBS,
        "queue_places": job_queue_places(owner=request.user),
    }


@login_required
@require_POST
def video_job_create_view(request: HttpRequest) -> HttpResponse:
    """The "Bring characters to life" panel's submit (multipart: the audio track, maybe the character
    image). The one video validator checks everything; its errors go next to the fields they name."""
    form = VideoJobForm(request.POST, request.FILES, owner=request.user)
    job, status, retry_headers = None, 400, {}
    if form.is_valid():
        data, audio, reference_image = form.submission()
        try:
            job = video_job_create(owner=request.user, data=data, audio=audio, reference_image=reference_image)
        except ParameterError as error:
            form.add_parameter_errors(error)
        except SeidraError as error:  # the queue limit (429), the storage quota
            form.add_error(None, error.message)
            status, retry_headers = error.status, error.headers()
    if request.htmx:
        # The panel again (its values stay for the next try), and the new job on top of Recent jobs.
        response = render(request, "jobs/_video-create-response.html", {"video_form": form, "job": job})
        return _with_headers(response, retry_headers)
    if job is not None:
        messages.success(request, _("Video job queued. It appears in Recent jobs with its live progress."))
        return redirect("pages:create")
    models = list(model_list(kind="checkpoint"))
    image_form = ImageJobForm(
        models=models, loras=list(lora_list()), default_model=default_model_name(), owner=request.user
    )
    context = _create_page_context(request, form=image_form, video_form=form, models=models)
    return _with_headers(render(request, "jobs/job-create.html", context, status=status), retry_headers)


# --- List and detail ------------------------------------------------------------------------------


@login_required
def job_list_page(request: HttpRequest) -> HttpResponse:
    filters = job_list_filters(request.GET)
    jobs = job_list(owner=request.user, **filters)
    page = Paginator(jobs, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    # Page 1 gains the user's new jobs on top, as the consumer finds them matching the same filters.
    live = {"format": "html", **({"list": "row", **filters} if page.number == 1 else {})}
    context = {
        "page": page,
        "page_query": query.urlencode(),
        "live_query": urlencode(live),
        "page_size": PAGE_SIZE,
        "status": filters.get("status", ""),
        "kind": filters.get("kind", ""),
        "status_choices": JobStatus.choices,
        "kind_choices": JobKind.choices,
        "filtered": bool(filters),
        "queue_places": job_queue_places(owner=request.user),
    }
    return render(request, "jobs/job-list.html", context)


@login_required
def job_detail_page(request: HttpRequest, job_id) -> HttpResponse:
    job = _job_or_404(request, job_id)
    return render(request, "jobs/job-detail.html", {"job": job, "queue_places": job_queue_places(owner=request.user)})


@login_required
@require_GET
def job_item(request: HttpRequest, job_id) -> HttpResponse:
    """One job in the shape asked for (`?as=row|card|detail`): how a page re-reads a job."""
    job = _job_or_404(request, job_id)
    shape = request.GET.get("as", "row")
    if shape not in ITEM_TEMPLATES:
        shape = "row"
    return render(request, ITEM_TEMPLATES[shape], {"job": job, "queue_places": job_queue_places(owner=request.user)})


# --- Actions --------------------------------------------------------------------------------------


def _target_shape(request: HttpRequest) -> str:
    target = request.htmx.target or ""
    for shape in ITEM_TEMPLATES:
        if target.startswith(f"job-{shape}-"):
            return shape
    return "row"


def _back(request: HttpRequest, *, job_id, replacement: Job | None = None) -> HttpResponse:
    """Without htmx: back to the page the action came from (a deleted job's detail page is gone;
    a retried job's detail page leads to the new job)."""
    target = request.POST.get("next") or request.headers.get("referer", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = reverse("pages:jobs")
    detail = reverse("jobs:detail", args=[job_id])
    if target.endswith(detail):
        target = reverse("jobs:detail", args=[replacement.id]) if replacement else reverse("pages:jobs")
    return redirect(target)


def _failed(request: HttpRequest, job: Job, error: SeidraError) -> HttpResponse:
    if request.htmx:
        # htmx swaps 2xx answers only: the job is shown again with the reason next to its actions.
        template = ITEM_TEMPLATES[_target_shape(request)]
        return render(request, template, {"job": job, "action_error": error.message})
    messages.error(request, error.message)
    return _back(request, job_id=job.id)


@login_required
@require_POST
def job_cancel_view(request: HttpRequest, job_id) -> HttpResponse:
    job = _job_or_404(request, job_id)
    try:
        job = job_cancel(job=job)
    except SeidraError as error:
        return _failed(request, job, error)
    if request.htmx:
        return render(request, ITEM_TEMPLATES[_target_shape(request)], {"job": job})
    messages.success(request, _("Job cancelled.") if job.is_final else _("Cancelling: the job stops at its next step."))
    return _back(request, job_id=job.id)


@login_required
@require_POST
def job_retry_view(request: HttpRequest, job_id) -> HttpResponse:
    job = _job_or_404(request, job_id)
    try:
        retried = job_retry(job=job, seed=request.POST.get("seed", RetrySeed.SAME))
    except SeidraError as error:
        return _failed(request, job, error)
    if request.htmx:
        shape = _target_shape(request)
        if shape == "detail":
            return HttpResponseClientRedirect(reverse("jobs:detail", args=[retried.id]))
        # The new job just above the one it repeats.
        return render(request, "jobs/_job-retry-response.html", {"job": job, "retried": retried, "shape": shape})
    messages.success(request, _("Job queued again."))
    return _back(request, job_id=job.id, replacement=retried)


@login_required
@require_POST
def job_delete_view(request: HttpRequest, job_id) -> HttpResponse:
    job = _job_or_404(request, job_id)
    job_id = job.id  # the instance loses its id once deleted
    try:
        job_delete(job=job)
    except SeidraError as error:
        return _failed(request, job, error)
    if request.htmx:
        if _target_shape(request) == "detail":
            return HttpResponseClientRedirect(reverse("pages:jobs"))
        return HttpResponse("")  # the row or card is swapped for nothing
    messages.success(request, _("Job deleted. Its images stay in the gallery."))
    return _back(request, job_id=job_id)
