"""An image job's parameters from a request (the Create form or the API): a persona's composition
when `persona` names one of the owner's (apps.personas.composition, the rule written once), then
the one validator (apps.catalog.parameters). The answer is the typed request (apps.catalog.request
ImageRequest); it records the persona as {"id", "name"} in `request.persona`."""

from dataclasses import replace

from django.utils.translation import gettext as _

from apps.accounts.models import User
from apps.catalog.parameters import image_parameters_clean
from apps.catalog.request import ImageRequest
from apps.core.errors import ParameterError, SeidraError
from apps.personas.composition import persona_compose
from apps.personas.selectors import persona_get_for_user


def job_parameters_clean(*, owner: User, data: dict) -> ImageRequest:
    """Validated parameters (ParameterError names each bad field, `persona` included)."""
    if not isinstance(data, dict) or data.get("persona") in (None, ""):
        return image_parameters_clean(data)
    explicit = {key: value for key, value in data.items() if key != "persona"}
    try:
        persona = persona_get_for_user(user=owner, persona_id=data["persona"])
    except SeidraError:
        raise ParameterError({"persona": _("No such persona among yours.")}) from None
    composed = persona_compose(persona, explicit)
    recorded = composed.pop("persona")
    return replace(image_parameters_clean(composed), persona=recorded)
