"""The staff's "Refresh ComfyUI" action, from the admin or the Models page: one refresh, one way of
telling what it found (a summary, a line per server, what was left out, a cap on the notes)."""

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest
from django.utils.translation import gettext as _

from .comfyui_sync import catalog_comfyui_refresh
from .offers import NO_COMFYUI_SERVER

# Notes beyond this are summarised: a directory of junk should not flood the page.
MAX_NOTES_SHOWN = 10


def notes_tell(request: HttpRequest, notes: list[str]) -> None:
    for note in notes[:MAX_NOTES_SHOWN]:
        messages.warning(request, _("Left out: %(note)s") % {"note": note})
    if len(notes) > MAX_NOTES_SHOWN:
        messages.warning(request, _("%(count)d more left out.") % {"count": len(notes) - MAX_NOTES_SHOWN})


def comfyui_refresh_and_tell(request: HttpRequest) -> None:
    if not settings.SEIDRA_COMFYUI_URLS:
        messages.error(request, str(NO_COMFYUI_SERVER))
        return
    report = catalog_comfyui_refresh()
    (messages.success if report.answered else messages.error)(request, report.summary())
    for line in report.server_lines():
        messages.info(request, line)
    notes_tell(request, report.notes)
