"""Persona pages: the list (cards), create (also from a gallery image), edit, duplicate, delete
with a confirmation, and the reference image, served to its owner only (from a bucket: a redirect to a
presigned URL, apps.core.media_storage). Another user's persona is a 404 on every one of them."""

import mimetypes

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from apps.catalog.selectors import lora_list, model_list
from apps.core.errors import ParameterError, SeidraError
from apps.core.media_storage import media_storage_is_local, presigned_redirect
from apps.gallery.selectors import media_get_for_user

from .forms import PersonaForm
from .models import Persona
from .selectors import persona_get_for_user, persona_list
from .services import persona_create, persona_delete, persona_duplicate, persona_update

PAGE_SIZE = 24
# The generation parameters of a gallery image that "New persona from this image" starts from.
FROM_MEDIA_FIELDS = ("negative_prompt", "model", "loras", "seed", "width", "height", "steps", "guidance", "scheduler")


def _persona_or_404(request: HttpRequest, persona_id) -> Persona:
    try:
        return persona_get_for_user(user=request.user, persona_id=persona_id)
    except SeidraError as error:
        raise Http404(error.message) from error


def _form(request: HttpRequest, **kwargs) -> PersonaForm:
    bound = (request.POST, request.FILES) if request.method == "POST" else ()
    return PersonaForm(*bound, models=list(model_list(kind="checkpoint")), loras=list(lora_list()), **kwargs)


@login_required
def persona_list_page(request: HttpRequest) -> HttpResponse:
    page = Paginator(persona_list(owner=request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "personas/persona-list.html", {"page": page})


def _from_media_initial(request: HttpRequest, media_id) -> tuple[dict, object]:
    try:
        media = media_get_for_user(user=request.user, media_id=media_id)
    except SeidraError as error:
        raise Http404(error.message) from error
    parameters = media.parameters or {}
    initial = {name: parameters[name] for name in FROM_MEDIA_FIELDS if parameters.get(name) not in (None, "")}
    initial.update(prompt_template=parameters.get("prompt", ""), reference_media_id=str(media.id))
    return initial, media


def _save(request: HttpRequest, form: PersonaForm, persona: Persona | None) -> Persona | None:
    """The persona created or updated, or None with the service's errors on the form."""
    if not form.is_valid():
        return None
    upload = form.cleaned_data.get("reference_image")
    try:
        if persona is None:
            return persona_create(owner=request.user, data=form.persona_data(), reference_upload=upload)
        return persona_update(persona=persona, data=form.persona_data(), reference_upload=upload)
    except ParameterError as error:
        form.add_parameter_errors(error)
        return None


@login_required
def persona_create_page(request: HttpRequest) -> HttpResponse:
    initial, media = {}, None
    if request.GET.get("from_media"):
        initial, media = _from_media_initial(request, request.GET["from_media"])
    form = _form(request, initial=initial)
    if request.method == "POST":
        persona = _save(request, form, None)
        if persona is not None:
            messages.success(request, _("Persona “%(name)s” created.") % {"name": persona.name})
            return redirect("pages:personas")
        media_id = request.POST.get("reference_media_id")
        if media_id and media is None:
            media = _from_media_initial(request, media_id)[1]
    context = {"form": form, "persona": None, "media": media}
    return render(request, "personas/persona-form.html", context, status=400 if form.is_bound else 200)


@login_required
def persona_edit_page(request: HttpRequest, persona_id) -> HttpResponse:
    persona = _persona_or_404(request, persona_id)
    initial = {name: getattr(persona, name) for name in (*FROM_MEDIA_FIELDS, "name", "description", "prompt_template")}
    initial["nsfw_allowed"] = persona.nsfw_allowed
    form = _form(request, initial={name: value for name, value in initial.items() if value is not None})
    if request.method == "POST":
        saved = _save(request, form, persona)
        if saved is not None:
            messages.success(request, _("Persona “%(name)s” saved.") % {"name": saved.name})
            return redirect("pages:personas")
        persona.refresh_from_db()  # the page shows the stored reference, not the refused one
    context = {"form": form, "persona": persona, "media": None}
    return render(request, "personas/persona-form.html", context, status=400 if form.is_bound else 200)


@login_required
@require_POST
def persona_duplicate_view(request: HttpRequest, persona_id) -> HttpResponse:
    copy = persona_duplicate(persona=_persona_or_404(request, persona_id))
    messages.success(request, _("Persona duplicated as “%(name)s”.") % {"name": copy.name})
    return redirect("personas:edit", persona_id=copy.id)


@login_required
def persona_delete_page(request: HttpRequest, persona_id) -> HttpResponse:
    persona = _persona_or_404(request, persona_id)
    if request.method == "POST":
        name = persona.name
        persona_delete(persona=persona)
        messages.success(request, _("Persona “%(name)s” deleted. Images made with it keep its name.") % {"name": name})
        return redirect("pages:personas")
    return render(request, "personas/persona-delete.html", {"persona": persona})


@login_required
@require_GET
def persona_reference(request: HttpRequest, persona_id) -> HttpResponse:
    persona = _persona_or_404(request, persona_id)
    if not persona.reference_image:
        raise Http404(_("This persona has no reference image."))
    if not media_storage_is_local():  # a bucket sends the bytes itself, never through the web
        content_type = mimetypes.guess_type(persona.reference_image.name)[0] or ""
        return presigned_redirect(persona.reference_image.name, content_type=content_type)
    try:
        handle = persona.reference_image.open("rb")
    except FileNotFoundError as error:
        raise Http404(_("The reference image is missing on the server.")) from error
    response = FileResponse(handle)
    response["Cache-Control"] = "private, max-age=3600"
    return response
