"""Writes on personas: create, update, duplicate, delete, each checking the persona first.

A persona's defaults are checked by the one validator of generation parameters
(apps.catalog.parameters.image_parameters_clean): they are composed with a placeholder prompt, and
the validator's field errors are put back on the persona's fields, so no bound is written twice.
"""

from pathlib import PurePath

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext as _

from apps.accounts.models import User
from apps.catalog.parameters import MAX_PROMPT_CHARS, image_parameters_clean
from apps.core.errors import ParameterError, SeidraError
from apps.core.text import text_problem
from apps.gallery.selectors import media_get_for_user

from .composition import DEFAULT_FIELDS, is_set
from .models import PROMPT_PLACEHOLDER, Persona
from .reference_image import reference_upload_checked

NAME_MAX = Persona._meta.get_field("name").max_length
DESCRIPTION_MAX = 2000
# The fields a persona is written with, and their value when left out (a blank default: the
# user's own field, or the model's default, applies).
FIELD_DEFAULTS = {
    "name": "",
    "description": "",
    "prompt_template": "",
    "negative_prompt": "",
    "model": "",
    "loras": [],
    "seed": None,
    "width": None,
    "height": None,
    "steps": None,
    "guidance": None,
    "scheduler": "",
    "reference_media_id": None,
    "nsfw_allowed": False,
}
# The validator's names for what the persona calls otherwise.
VALIDATOR_FIELDS = {"prompt": "prompt_template", "batch_size": "width"}


def _plain_text(data: dict, name: str, *, limit: int, errors: dict) -> str:
    value = data.get(name)
    if value is None:
        return ""
    if not isinstance(value, str):
        errors[name] = _("Expected text.")
        return ""
    problem = text_problem(value)
    if problem:
        errors[name] = problem
    elif len(value.strip()) > limit:
        errors[name] = _("At most %(count)s characters.") % {"count": limit}
    return value.strip()


def _name(owner: User, data: dict, persona: Persona | None, errors: dict) -> str:
    name = _plain_text(data, "name", limit=NAME_MAX, errors=errors)
    if "name" in errors:
        return name
    if not name:
        errors["name"] = _("This field is required.")
    elif Persona.objects.filter(owner=owner, name=name).exclude(pk=persona.pk if persona else None).exists():
        errors["name"] = _("You already have a persona named '%(name)s'.") % {"name": name}
    return name


def _generation_defaults(data: dict, errors: dict) -> dict:
    """The template, negative prompt and defaults, checked by the one validator of job parameters."""
    template = data.get("prompt_template") or ""
    probe = {
        # A placeholder prompt: the template must be text within the prompt's length.
        "prompt": (template.replace(PROMPT_PLACEHOLDER, "").strip() or "-") if isinstance(template, str) else template,
        "negative_prompt": data.get("negative_prompt") or "",
        "loras": data.get("loras") or [],
        "batch_size": 1,
        **{name: data.get(name) for name in DEFAULT_FIELDS if is_set(data.get(name))},
    }
    try:
        cleaned = image_parameters_clean(probe).to_json()
    except ParameterError as error:
        for name, message in error.errors.items():
            errors.setdefault(VALIDATOR_FIELDS.get(name, name), message)
        return {}
    values = {
        "prompt_template": template.strip(),
        "negative_prompt": cleaned["negative_prompt"],
        "loras": cleaned["loras"],
    }
    for name in DEFAULT_FIELDS:
        values[name] = cleaned[name] if is_set(data.get(name)) else FIELD_DEFAULTS[name]
    if len(values["prompt_template"]) > MAX_PROMPT_CHARS:
        errors["prompt_template"] = _("At most %(count)s characters.") % {"count": MAX_PROMPT_CHARS}
    return values


def _nsfw_allowed(data: dict, errors: dict) -> bool:
    value = data.get("nsfw_allowed", False)
    if not isinstance(value, bool):
        errors["nsfw_allowed"] = _("Expected true or false.")
        return False
    return value


def persona_clean(*, owner: User, data: dict, persona: Persona | None = None) -> dict:
    """The persona's field values from `data` (every field, blank ones at their default), or
    ParameterError naming each bad field."""
    if not isinstance(data, dict):
        raise ParameterError({"non_field_errors": _("Expected a JSON object.")})
    data = {**FIELD_DEFAULTS, **data}
    errors: dict[str, str] = {}
    values = {
        "name": _name(owner, data, persona, errors),
        "description": _plain_text(data, "description", limit=DESCRIPTION_MAX, errors=errors),
        "nsfw_allowed": _nsfw_allowed(data, errors),
        **_generation_defaults(data, errors),
    }
    if errors:
        raise ParameterError(errors)
    return values


def _media_copy(owner: User, media_id) -> tuple[ContentFile, object]:
    """A copy of one of the owner's gallery images for the persona to keep, and the item's id."""
    try:
        media = media_get_for_user(user=owner, media_id=media_id)
    except SeidraError:
        raise ParameterError({"reference_media_id": _("No such image in your gallery.")}) from None
    try:
        with media.file.open("rb") as handle:
            data = handle.read()
    except FileNotFoundError:
        raise ParameterError({"reference_media_id": _("The file of this image is missing on the server.")}) from None
    return ContentFile(data, name=f"reference{PurePath(media.file.name).suffix or '.png'}"), media.pk


def _reference(owner: User, data: dict, persona: Persona | None, upload: UploadedFile | None):
    """(file to store or None, gallery item id or None): an upload, else a gallery item picked
    (`reference_media_id`); neither keeps the current reference."""
    current = persona.reference_media_id if persona else None
    if upload is not None:
        return reference_upload_checked(upload), None  # refused by size before it is read into memory
    media_id = data.get("reference_media_id")
    if not is_set(media_id):
        return None, current
    if current is not None and str(current) == str(media_id) and persona.reference_image:
        return None, current  # the same gallery item as before: its copy is already kept
    return _media_copy(owner, media_id)


def _store_reference(persona: Persona, file: ContentFile | None) -> None:
    if file is None:
        return
    old = persona.reference_image.name
    storage = persona.reference_image.storage
    persona.reference_image.save(file.name, file, save=False)
    if old and old != persona.reference_image.name:
        transaction.on_commit(lambda: storage.delete(old))


def _checked(owner: User, data: dict, changes: dict, persona: Persona | None, upload: UploadedFile | None):
    """(field values, reference file or None, gallery item id or None), or one ParameterError with
    the problems of the fields and of the reference image together."""
    errors: dict[str, str] = {}
    values, file, media_id = {}, None, None
    try:
        values = persona_clean(owner=owner, data=data, persona=persona)
    except ParameterError as error:
        errors.update(error.errors)
    try:
        file, media_id = _reference(owner, changes, persona, upload)
    except ParameterError as error:
        errors.update(error.errors)
    if errors:
        raise ParameterError(errors)
    return values, file, media_id


@transaction.atomic
def persona_create(*, owner: User, data: dict, reference_upload: UploadedFile | None = None) -> Persona:
    values, file, media_id = _checked(owner, data, data, None, reference_upload)
    persona = Persona(owner=owner, reference_media_id=media_id, **values)
    _store_reference(persona, file)
    persona.save()
    return persona


@transaction.atomic
def persona_update(
    *, persona: Persona, data: dict, partial: bool = True, reference_upload: UploadedFile | None = None
) -> Persona:
    """`partial` (PATCH, the edit page): fields left out keep their value; otherwise (PUT) they
    return to their default. The reference image stays until another one replaces it."""
    if not isinstance(data, dict):
        raise ParameterError({"non_field_errors": _("Expected a JSON object.")})
    current = {name: getattr(persona, name) for name in FIELD_DEFAULTS} if partial else {}
    merged = {**current, **data}
    values, file, media_id = _checked(persona.owner, merged, data, persona, reference_upload)
    for name, value in values.items():
        setattr(persona, name, value)
    persona.reference_media_id = media_id
    _store_reference(persona, file)
    persona.save()
    return persona


def _copy_name(owner: User, name: str) -> str:
    """ "<name> (copy)", then "(copy 2)"...: the first one the owner has not used, within the name's length."""
    number = 1
    while True:
        suffix = _(" (copy)") if number == 1 else _(" (copy %(number)s)") % {"number": number}
        candidate = name[: NAME_MAX - len(suffix)] + suffix
        if not Persona.objects.filter(owner=owner, name=candidate).exists():
            return candidate
        number += 1


@transaction.atomic
def persona_duplicate(*, persona: Persona) -> Persona:
    """A copy under a new name, with its own copy of the reference image."""
    copy = Persona(
        owner=persona.owner,
        **{name: getattr(persona, name) for name in FIELD_DEFAULTS if name != "name"},
        name=_copy_name(persona.owner, persona.name),
    )
    if persona.reference_image:
        with persona.reference_image.open("rb") as handle:
            data = handle.read()
        copy.reference_image.save(PurePath(persona.reference_image.name).name, ContentFile(data), save=False)
    copy.save()
    return copy


@transaction.atomic
def persona_delete(*, persona: Persona) -> None:
    """The persona and its reference image go; media made with it stay and keep its name
    (Media.persona_name is a copy, not a link)."""
    name, storage = persona.reference_image.name, persona.reference_image.storage
    persona.delete()
    if name:
        transaction.on_commit(lambda: storage.delete(name))
