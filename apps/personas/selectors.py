"""Reads on personas: a user sees only their own; anyone else's is "no such persona" (a 404)."""

import uuid

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from apps.accounts.models import User
from apps.core.errors import SeidraError

from .models import Persona


def persona_list(*, owner: User) -> QuerySet[Persona]:
    return Persona.objects.filter(owner=owner).order_by("name", "created")


def persona_get_for_user(*, user: User, persona_id) -> Persona:
    try:
        pk = uuid.UUID(str(persona_id))
    except ValueError:
        pk = None
    persona = Persona.objects.filter(owner=user, pk=pk).first() if pk else None
    if persona is None:
        raise SeidraError(_("No such persona."), status=404)
    return persona
