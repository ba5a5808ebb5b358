"""The checkpoints and LoRAs of each configured ComfyUI server, mirrored into the catalog.

`catalog_comfyui_refresh` asks every server of SEIDRA_COMFYUI_URLS what its CheckpointLoaderSimple
and LoraLoader accept and makes the ComfyUI rows (engine "comfyui") match: `servers` lists the URLs
that offer an entry, so the pool sends a job only where its model is. An unreachable server keeps
its entries (the pool skips it while it is down); a server that answers without an entry is taken
off it, and an entry no server offers any more is deleted. Local files win over a ComfyUI entry of
the same name. Called by the `comfyui` worker at start and every SEIDRA_COMFYUI_REFRESH_SECONDS, by
the staff button of the Models page, the admin and `manage.py comfyui_refresh`.
"""

from dataclasses import dataclass, field
from pathlib import PurePosixPath

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from .comfyui_client import ComfyClient, ComfyError
from .comfyui_health import comfyui_malformed_reason
from .layout import LORAS, SAFETENSORS, models_dir
from .lora_keys import lora_key_format
from .models import Engine, InstalledLora, InstalledModel, LoraKeyFormat, ModelFormat, ModelKind, Source

_NAME_MAX = 100  # InstalledModel.name / InstalledLora.name


@dataclass(frozen=True)
class ServerListing:
    checkpoints: tuple[str, ...]
    loras: tuple[str, ...]


@dataclass
class ComfyRefreshReport:
    answered: dict[str, ServerListing] = field(default_factory=dict)  # url -> what it lists
    unreachable: dict[str, str] = field(default_factory=dict)  # url -> the client's message
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # entries left out, and why

    def server_lines(self) -> list[str]:
        """One line per server, in SEIDRA_COMFYUI_URL's order."""
        lines = []
        for url in [*self.answered, *self.unreachable]:
            if url in self.answered:
                listing = self.answered[url]
                lines.append(
                    _("%(url)s: %(checkpoints)d checkpoints, %(loras)d LoRAs")
                    % {"url": url, "checkpoints": len(listing.checkpoints), "loras": len(listing.loras)}
                )
            else:
                lines.append(
                    _("%(url)s: unreachable, its entries are kept (%(reason)s)")
                    % {"url": url, "reason": self.unreachable[url]}
                )
        return lines

    def summary(self) -> str:
        return _(
            "ComfyUI refresh: %(answered)d of %(total)d servers answered, %(added)d added, %(removed)d removed."
        ) % {
            "answered": len(self.answered),
            "total": len(self.answered) + len(self.unreachable),
            "added": len(self.added),
            "removed": len(self.removed),
        }


def catalog_comfyui_refresh(urls: list[str] | None = None) -> ComfyRefreshReport:
    """Ask each server (SEIDRA_COMFYUI_URLS by default) and apply what they list. Idempotent."""
    urls = list(settings.SEIDRA_COMFYUI_URLS if urls is None else urls)
    report = ComfyRefreshReport()
    for url in urls:
        client = ComfyClient(url, timeout=settings.SEIDRA_COMFYUI_HTTP_TIMEOUT)
        try:
            report.answered[url] = ServerListing(checkpoints=tuple(client.checkpoints()), loras=tuple(client.loras()))
        except ComfyError as error:
            report.unreachable[url] = error.message
        except (AttributeError, IndexError, KeyError, TypeError) as error:  # JSON of another shape
            report.unreachable[url] = comfyui_malformed_reason(url, error)
    comfyui_listings_apply(urls=urls, report=report)
    return report


@transaction.atomic
def comfyui_listings_apply(*, urls: list[str], report: ComfyRefreshReport) -> None:
    """Make the ComfyUI rows match `report.answered`; servers in `report.unreachable` keep theirs.
    Servers no longer in `urls` are dropped from every entry."""
    offered_models = _offers(urls, report, lambda listing: listing.checkpoints)
    offered_loras = _offers(urls, report, lambda listing: listing.loras)
    _rows_apply(InstalledModel, offered_models, urls, report, kind_label="checkpoint")
    _rows_apply(InstalledLora, offered_loras, urls, report, kind_label="lora")


def _offers(urls, report, names_of) -> dict[str, list[str]]:
    """name -> the answering servers that list it, in SEIDRA_COMFYUI_URL's order."""
    offers: dict[str, list[str]] = {}
    for url in urls:
        if url in report.answered:
            for name in names_of(report.answered[url]):
                offers.setdefault(name, []).append(url)
    return offers


def _rows_apply(model_class, offers: dict[str, list[str]], urls, report: ComfyRefreshReport, *, kind_label) -> None:
    rows = {row.name: row for row in model_class.objects.select_for_update()}
    kept_from_down = set(report.unreachable) & set(urls)
    for name, servers in offers.items():
        row = rows.get(name)
        if len(name) > _NAME_MAX:
            report.notes.append(_("%(name)s: name longer than %(max)d characters") % {"name": name, "max": _NAME_MAX})
            continue
        if row is not None and row.engine == Engine.LOCAL:
            report.notes.append(
                _("%(name)s (%(url)s): a local %(kind)s has the same name and is used instead")
                % {"name": name, "url": ", ".join(servers), "kind": kind_label}
            )
            continue
        if row is None:
            model_class.objects.create(**_new_values(model_class, name), servers=servers)
            report.added.append(f"{kind_label} {name}")
            continue
        wanted = [url for url in urls if url in servers or (url in kept_from_down and url in row.servers)]
        changes = {"servers": wanted} if wanted != row.servers else {}
        if model_class is InstalledLora:
            key_format = _local_key_format(name)
            if key_format != row.key_format:
                changes["key_format"] = key_format
        if changes:
            for key, value in changes.items():
                setattr(row, key, value)
            row.save(update_fields=[*changes, "updated"])
    for name, row in rows.items():
        if row.engine != Engine.COMFYUI or name in offers:
            continue
        still = [url for url in urls if url in kept_from_down and url in row.servers]
        if not still:
            row.delete()
            report.removed.append(f"{kind_label} {name}")
        elif still != row.servers:
            row.servers = still
            row.save(update_fields=["servers", "updated"])


def _new_values(model_class, name: str) -> dict:
    common = {"name": name, "path": name, "engine": Engine.COMFYUI, "source": Source.COMFYUI}
    if model_class is InstalledModel:
        return {**common, "kind": ModelKind.CHECKPOINT, "format": ModelFormat.SINGLE_FILE}
    return {**common, "key_format": _local_key_format(name)}


def _local_key_format(comfy_name: str) -> str:
    """The key format of a ComfyUI LoRA whose file is also here (same name under SEIDRA_MODELS_DIR/loras),
    else unknown: the server's files cannot be read through its API."""
    relative = PurePosixPath(comfy_name)
    if relative.is_absolute() or ".." in relative.parts:
        return LoraKeyFormat.UNKNOWN
    candidates = [models_dir() / LORAS / relative]
    if relative.suffix != SAFETENSORS:
        candidates.append(models_dir() / LORAS / f"{comfy_name}{SAFETENSORS}")
    for path in candidates:
        if path.is_file():
            return lora_key_format(path)
    return LoraKeyFormat.UNKNOWN
