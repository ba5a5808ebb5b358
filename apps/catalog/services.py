"""Writes on the catalog: the disk -> database sync, adding LoRAs, installing catalog entries.

File work happens first and atomically per file (a staging area or a dot-file, then a rename), so
a crash leaves no half-written model under a visible name; the database follows the disk.
"""

import filecmp
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction
from django.utils.translation import gettext as _

from apps.core.errors import SeidraError

from .catalog_file import Catalog, CatalogEntry, catalog_load, required_file
from .hub import hub_fetch
from .layout import (
    SAFETENSORS,
    FoundFile,
    disk_scan,
    entry_target,
    is_demo_name,
    lora_file,
    models_dir,
    staging_dir,
    tree_size,
)
from .lora_keys import lora_key_format
from .models import Engine, InstalledLora, InstalledModel, Source
from .safetensors_header import safetensors_problem
from .verify import files_problems, problems_text

# A LoRA name is its file name on disk and what prompts and the API refer to.
LORA_NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")
_NAME_MAX = 100


@dataclass
class SyncReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # files left out, and why

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed)

    def summary(self) -> str:
        return _("Synced from disk: %(added)d added, %(updated)d updated, %(removed)d removed.") % {
            "added": len(self.added),
            "updated": len(self.updated),
            "removed": len(self.removed),
        }


@transaction.atomic
def catalog_sync_from_disk() -> SyncReport:
    """Make the tables match SEIDRA_MODELS_DIR: add new files, refresh sizes and paths, delete rows
    whose files are gone. Idempotent. LoRAs named like a catalog entry get its trigger words,
    weight and licence when created, and any of those still empty later (admin edits are kept)."""
    found, notes = disk_scan()
    catalog = catalog_load()
    report = SyncReport(notes=notes)
    # With several hosts the catalog is shared and the models live on the worker hosts: a host that
    # holds none (a web host) says nothing about which exist, so its sync never empties the catalog.
    prune = bool(found)
    if not prune:
        report.notes.append(
            _("No model or LoRA files on this host (SEIDRA_MODELS_DIR): the catalog is kept as it is; "
              "sync on a host that holds the models.")
        )  # fmt: skip
    _models_sync([f for f in found if f.kind != "lora"], catalog, report, prune=prune)
    _loras_sync([f for f in found if f.kind == "lora"], catalog, report, prune=prune)
    return report


def _models_sync(found: list[FoundFile], catalog: Catalog, report: SyncReport, *, prune: bool) -> None:
    rows = {row.name: row for row in InstalledModel.objects.select_for_update()}
    seen: set[str] = set()
    for item in found:
        if not _name_usable(item, seen, report):
            continue
        _remote_row_gives_way(rows, item.name, report)
        entry = _catalog_entry(catalog, item.name, item.kind)
        values = {
            "kind": item.kind,
            "format": item.format,
            "path": item.relative_path,
            "size_bytes": item.size_bytes,
            "is_demo": is_demo_name(item.name),
        }
        row = rows.get(item.name)
        if row is None:
            InstalledModel.objects.create(
                name=item.name,
                source=_source_for_new(item.name, entry),
                repo_id=entry.repo_id if entry else "",
                **values,
            )
            report.added.append(f"{item.kind} {item.name}")
            continue
        if entry and not row.repo_id:
            values["repo_id"] = entry.repo_id
        if _update(row, values):
            report.updated.append(f"{item.kind} {item.name}")
    for name, row in rows.items():
        if prune and name not in seen and row.engine == Engine.LOCAL:  # ComfyUI rows follow their servers
            row.delete()
            report.removed.append(f"{row.kind} {name}")


def _loras_sync(found: list[FoundFile], catalog: Catalog, report: SyncReport, *, prune: bool) -> None:
    rows = {row.name: row for row in InstalledLora.objects.select_for_update()}
    seen: set[str] = set()
    for item in found:
        if not _name_usable(item, seen, report):
            continue
        _remote_row_gives_way(rows, item.name, report)
        entry = _catalog_entry(catalog, item.name, "lora")
        values = {
            "path": item.relative_path,
            "size_bytes": item.size_bytes,
            "is_demo": is_demo_name(item.name),
            "key_format": lora_key_format(models_dir() / item.relative_path),
        }
        row = rows.get(item.name)
        if row is None:
            if entry:
                values.update(
                    trigger_words=list(entry.trigger_words),
                    default_weight=entry.default_weight,
                    license=entry.license,
                    repo_id=entry.repo_id,
                    base_model=entry.base,
                )
            InstalledLora.objects.create(name=item.name, source=_source_for_new(item.name, entry), **values)
            report.added.append(f"lora {item.name}")
            continue
        if entry:
            # Only fill what is still empty: staff may have edited these in the admin.
            if not row.trigger_words and entry.trigger_words:
                values["trigger_words"] = list(entry.trigger_words)
            if not row.license:
                values["license"] = entry.license
            if not row.repo_id:
                values["repo_id"] = entry.repo_id
        if _update(row, values):
            report.updated.append(f"lora {item.name}")
    for name, row in rows.items():
        if prune and name not in seen and row.engine == Engine.LOCAL:
            row.delete()
            report.removed.append(f"lora {name}")


def _remote_row_gives_way(rows: dict, name: str, report: SyncReport) -> None:
    """A local file wins over a ComfyUI entry of the same name (names are unique): drop the remote row."""
    row = rows.get(name)
    if row is not None and row.engine != Engine.LOCAL:
        row.delete()
        del rows[name]
        report.notes.append(
            _("%(name)s: a local file now has this name; the ComfyUI entry is left out") % {"name": name}
        )


def _name_usable(item: FoundFile, seen: set[str], report: SyncReport) -> bool:
    if len(item.name) > _NAME_MAX:
        report.notes.append(
            _("%(path)s: name longer than %(max)d characters") % {"path": item.relative_path, "max": _NAME_MAX}
        )
        return False
    if item.name in seen:
        note = _("%(path)s: another model already uses the name '%(name)s'")
        report.notes.append(note % {"path": item.relative_path, "name": item.name})
        return False
    seen.add(item.name)
    return True


def _catalog_entry(catalog: Catalog, name: str, kind: str) -> CatalogEntry | None:
    entry = catalog.get(name)
    return entry if entry is not None and entry.kind == kind else None


def _source_for_new(name: str, entry: CatalogEntry | None) -> str:
    if is_demo_name(name):
        return Source.DEMO
    return Source.CATALOG if entry else Source.LOCAL


def _update(row, values: dict) -> bool:
    changed = [key for key, value in values.items() if getattr(row, key) != value]
    for key in changed:
        setattr(row, key, values[key])
    if changed:
        row.save(update_fields=[*changed, "updated"])
    return bool(changed)


# --- LoRAs added by staff (admin) -------------------------------------------------------------


def lora_add_from_file(*, source_path: str | Path, name: str | None = None) -> InstalledLora:
    """Copy a .safetensors LoRA from a path on the server into loras/ and list it.

    Refuses anything that is not a readable safetensors file, and never overwrites a different
    LoRA of the same name; adding the same file again changes nothing."""
    source = Path(source_path).expanduser()
    if not source.is_file():
        raise SeidraError(_("No file at %(path)s on the server.") % {"path": source}, status=404)
    if source.suffix.lower() != SAFETENSORS:
        raise SeidraError(_("Only .safetensors LoRA files can be added; %(file)s is not one.") % {"file": source.name})
    _safetensors_check(source)
    name = _lora_name(name or source.stem)
    target = lora_file(name)
    if target.exists() and not target.samefile(source):
        if not filecmp.cmp(source, target, shallow=False):
            raise SeidraError(_lora_exists_message(name, target), status=409)
    elif not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(f".{target.name}.partial")  # hidden from the sync until complete
        shutil.copyfile(source, partial)
        partial.replace(target)
    return _lora_listed(name=name, source=Source.LOCAL)


def lora_add_from_hub(
    *, repo_id: str, filename: str, name: str | None = None, token: str | None = None
) -> InstalledLora:
    """Download one .safetensors LoRA from a Hub repo into loras/ and list it."""
    repo_id, filename = repo_id.strip(), filename.strip()
    if not filename.lower().endswith(SAFETENSORS):
        raise SeidraError(_("Only .safetensors LoRA files can be added; %(file)s is not one.") % {"file": filename})
    name = _lora_name(name or Path(filename).stem)
    target = lora_file(name)
    if target.exists():
        raise SeidraError(_lora_exists_message(name, target), status=409)
    staging = staging_dir(f"hub-add/{name}")  # catalog names have no '/': never the same directory
    hub_fetch(
        repo_id=repo_id, files=[filename], staging=staging, offline=False, token=token,
        fallback=_("or copy the file onto the server and add it from its path."),
    )  # fmt: skip
    downloaded = staging / filename
    try:
        _safetensors_check(downloaded)
    except SeidraError:
        shutil.rmtree(staging, ignore_errors=True)  # or the next attempt would find the same bad file
        raise
    target.parent.mkdir(parents=True, exist_ok=True)
    downloaded.replace(target)
    shutil.rmtree(staging, ignore_errors=True)
    return _lora_listed(name=name, source=Source.HUB, repo_id=repo_id)


def _lora_name(name: str) -> str:
    name = name.strip()
    if name.lower().endswith(SAFETENSORS):
        name = name[: -len(SAFETENSORS)]
    if not LORA_NAME_PATTERN.fullmatch(name):
        raise SeidraError(
            _("'%(name)s' cannot be a LoRA name: use up to 100 letters, digits, '.', '_' or '-'.") % {"name": name}
        )
    return name


def _lora_exists_message(name: str, target: Path) -> str:
    return _("A different LoRA named '%(name)s' already exists (%(path)s): choose another name.") % {
        "name": name,
        "path": target,
    }


def _safetensors_check(path: Path) -> None:
    if problem := safetensors_problem(path):
        raise SeidraError(
            _("%(file)s is not a readable safetensors file: %(reason)s.") % {"file": path.name, "reason": problem}
        )


@transaction.atomic
def _lora_listed(*, name: str, source: str, repo_id: str = "") -> InstalledLora:
    catalog_sync_from_disk()
    lora = InstalledLora.objects.get(name=name)
    # The sync calls every unknown file local; a download knows better. Catalog and demo rows stay.
    if source == Source.HUB and lora.source == Source.LOCAL:
        lora.source, lora.repo_id = Source.HUB, repo_id
        lora.save(update_fields=["source", "repo_id", "updated"])
    return lora


# --- Catalog entries (setup_models) -------------------------------------------------------------


@dataclass(frozen=True)
class InstallResult:
    entry: CatalogEntry
    target: Path
    downloaded: bool  # False: it was already installed and verified
    size_bytes: int


def catalog_entry_install(*, entry: CatalogEntry, offline: bool = False, token: str | None = None) -> InstallResult:
    """Download one catalog entry (or take it from the local HF cache when offline), verify every
    file, then move it into place. An entry already installed and verified is left alone, with no
    network access. Does not sync the database: call catalog_sync_from_disk once afterwards."""
    target = entry_target(kind=entry.kind, name=entry.name)
    if _installed(entry, target):
        return InstallResult(entry=entry, target=target, downloaded=False, size_bytes=tree_size(target))

    staging = staging_dir(entry.name)
    if entry.is_lora:
        fallback = _("or copy %(file)s to %(target)s and run `manage.py setup_models --offline`.") % {
            "file": entry.files[0],
            "target": target,
        }
    else:
        fallback = _("or copy the files into %(dir)s and run `manage.py setup_models --offline`.") % {"dir": target}
    try:
        hub_fetch(
            repo_id=entry.repo_id, files=entry.files, staging=staging, offline=offline, token=token, fallback=fallback
        )
    except SeidraError as error:
        if offline:
            shutil.rmtree(staging, ignore_errors=True)  # only links into the cache; online, partial files resume
        if offline and target.is_dir():
            # The person may have copied the files by hand: say which ones are still missing.
            missing = problems_text(files_problems(base=target, files=entry.files))
            raise SeidraError(
                f"{error.message} "
                + _("Still missing in %(dir)s: %(problems)s.") % {"dir": target, "problems": missing},
                status=error.status,
            ) from None
        raise
    problems = files_problems(base=staging, files=entry.files)
    if problems:
        for relative in problems:
            (staging / relative).unlink(missing_ok=True)  # a damaged file is fetched again on the next run
        if offline:
            message = _(
                "%(repo)s is incomplete in the local Hugging Face cache: %(problems)s. "
                "Download it where the Hub is reachable, %(hint)s"
            )
        else:
            message = _("%(repo)s: unusable download, %(problems)s. Run the command again to fetch them afresh.")
        raise SeidraError(message % {"repo": entry.repo_id, "problems": problems_text(problems), "hint": fallback})
    _move_into_place(entry, staging, target)
    shutil.rmtree(staging, ignore_errors=True)
    return InstallResult(entry=entry, target=target, downloaded=True, size_bytes=tree_size(target))


def _installed(entry: CatalogEntry, target: Path) -> bool:
    if entry.is_lora:
        return not files_problems(base=target.parent, files=[target.name])
    return target.is_dir() and not files_problems(base=target, files=entry.files)


def _move_into_place(entry: CatalogEntry, staging: Path, target: Path) -> None:
    if entry.is_lora:
        target.parent.mkdir(parents=True, exist_ok=True)
        (staging / entry.files[0]).replace(target)
        return
    # The file that marks a directory as loadable goes last: a crash midway leaves a directory
    # the sync and the engine ignore, and the next run completes it.
    marker = required_file(entry.kind)
    for relative in sorted(entry.files, key=lambda name: name == marker):
        destination = target / relative
        destination.parent.mkdir(parents=True, exist_ok=True)
        (staging / relative).replace(destination)
