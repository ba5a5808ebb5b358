"""Install the catalog's SDXL checkpoint, VAE and LoRAs from the Hugging Face Hub into SEIDRA_MODELS_DIR."""

from django.core.management.base import BaseCommand, CommandError
from django.template.defaultfilters import filesizeformat

from apps.catalog.catalog_file import Catalog, CatalogEntry, catalog_load
from apps.catalog.layout import entry_target, models_dir
from apps.catalog.services import catalog_entry_install, catalog_sync_from_disk
from apps.core.errors import SeidraError
from workers.gpu_report import gpu_report_collect, gpu_report_lines


class Command(BaseCommand):
    help = (
        "Download the models of the catalog (apps/catalog/catalog.json, or SEIDRA_CATALOG_FILE) into "
        "SEIDRA_MODELS_DIR: SDXL base 1.0 (fp16 safetensors only), the fp16-fix VAE and the style LoRAs. "
        "Only the needed files are fetched, with progress bars; an interrupted download resumes on the next "
        "run; every file is verified before it is moved into place, and what is already installed is left "
        "alone. Then the installed-models table is synced and the GPU is reported. The Hugging Face token is "
        "read from HF_TOKEN (needed only for gated or private repositories); HF_ENDPOINT and HTTPS_PROXY are "
        "honoured. Without a network, copy the files (or a Hugging Face cache, HF_HOME) onto the machine and "
        "use --offline."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--only",
            metavar="NAME[,NAME]",
            action="append",
            default=[],
            help="Install only these catalog entries (comma-separated, repeatable). See --list for the names.",
        )
        parser.add_argument(
            "--lora",
            metavar="NAME",
            action="append",
            default=[],
            help="Install this catalog LoRA (repeatable). With neither --only nor --lora, everything is installed.",
        )
        parser.add_argument(
            "--offline",
            action="store_true",
            help="Use no network: take the files from the local Hugging Face cache (HF_HOME or HF_HUB_CACHE) "
            "or from what is already under SEIDRA_MODELS_DIR. Implied by HF_HUB_OFFLINE=1.",
        )
        parser.add_argument(
            "--list", action="store_true", dest="list_only", help="List the catalog and what is installed, then stop."
        )

    def handle(self, *args, only: list[str], lora: list[str], offline: bool, list_only: bool, **options) -> None:
        try:
            catalog = catalog_load()
            entries = _entries_selected(catalog, only=only, loras=lora)
        except SeidraError as error:
            raise CommandError(error.message) from None
        if list_only:
            self._list(catalog)
            return

        self._gpu_report()
        offline = offline or _hub_offline_by_environment()
        self.stdout.write(f"Models directory: {models_dir()}{' (offline: local files only)' if offline else ''}")
        _quiet_huggingface_hub()
        failure: SeidraError | None = None
        for entry in entries:
            self.stdout.write(f"{entry.kind} {entry.name} ({entry.repo_id})")
            try:
                result = catalog_entry_install(entry=entry, offline=offline)
            except SeidraError as error:
                failure = error
                break  # the next entries would fail the same way: one clear line beats five
            state = "installed and verified" if result.downloaded else "already installed, verified"
            self.stdout.write(f"  {state}: {result.target} ({filesizeformat(result.size_bytes)})")

        # Whatever was installed before a failure is listed too.
        try:
            report = catalog_sync_from_disk()
        except SeidraError as error:
            failure = failure or error
        else:
            self.stdout.write(report.summary())
        if failure is not None:
            raise CommandError(failure.message)
        self.stdout.write(self.style.SUCCESS(f"Done: the requested catalog entries ({len(entries)}) are installed."))

    def _gpu_report(self) -> None:
        # On stdout, warnings included: stderr is kept for the one line that says why a run failed.
        info, warnings = gpu_report_lines(gpu_report_collect())
        for line in info:
            self.stdout.write(line)
        for line in warnings:
            self.stdout.write(self.style.WARNING(f"Warning: {line}"))

    def _list(self, catalog: Catalog) -> None:
        for entry in catalog.entries:
            installed = entry_target(kind=entry.kind, name=entry.name).exists()
            style = f" [{entry.style}]" if entry.style else ""
            mark = "installed" if installed else "not installed"
            self.stdout.write(f"{entry.kind:<10} {entry.name}{style} ({entry.repo_id}) - {mark}")


def _entries_selected(catalog: Catalog, *, only: list[str], loras: list[str]) -> list[CatalogEntry]:
    if not only and not loras:
        return list(catalog.entries)
    names = [name.strip() for value in only for name in value.split(",") if name.strip()]
    unknown = [name for name in names if catalog.get(name) is None]
    if unknown:
        raise SeidraError(f"Not in the catalog: {', '.join(unknown)}. Known names: {', '.join(catalog.names())}.")
    lora_names = [entry.name for entry in catalog.loras()]
    not_loras = [name for name in loras if name not in lora_names]
    if not_loras:
        raise SeidraError(f"No catalog LoRA named {', '.join(not_loras)}. Catalog LoRAs: {', '.join(lora_names)}.")
    wanted = set(names) | set(loras)
    return [entry for entry in catalog.entries if entry.name in wanted]


def _hub_offline_by_environment() -> bool:
    """HF_HUB_OFFLINE=1 (or TRANSFORMERS_OFFLINE) means the same as --offline."""
    from huggingface_hub import constants

    return constants.HF_HUB_OFFLINE


def _quiet_huggingface_hub() -> None:
    """huggingface_hub logs retries and fallbacks as warnings; our own line says what went wrong.
    Its progress bars are tqdm, not logging, and stay."""
    from huggingface_hub.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
