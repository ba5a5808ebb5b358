"""List the checkpoints and LoRAs of each ComfyUI server in the catalog now (the comfyui worker does it too)."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from apps.catalog.comfyui_sync import catalog_comfyui_refresh


class Command(BaseCommand):
    help = (
        "Refresh the catalog's ComfyUI checkpoints and LoRAs from every server of SEIDRA_COMFYUI_URL: "
        "one line per server. An unreachable server keeps its entries. Exits non-zero when no server answered."
    )

    def handle(self, *args, **options) -> None:
        if not settings.SEIDRA_COMFYUI_URLS:
            raise CommandError("No ComfyUI server configured: set SEIDRA_COMFYUI_URL (comma-separated URLs).")
        report = catalog_comfyui_refresh()
        for line in report.server_lines():
            self.stdout.write(line)
        for note in report.notes:
            self.stdout.write(f"  left out: {note}")
        self.stdout.write(report.summary())
        if not report.answered:
            raise CommandError("No ComfyUI server answered; the catalog's ComfyUI entries are unchanged.")
