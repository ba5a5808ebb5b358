"""The catalog file (settings.SEIDRA_CATALOG_FILE): what `setup_models` can install from the hub.

Read and validated as a whole on every call (a few KB): a typo must fail loudly, naming the entry,
rather than download the wrong thing or nothing.
"""

import json
import re
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from django.conf import settings

from apps.core.errors import SeidraError

from .models import MAX_LORA_WEIGHT

KINDS = ("checkpoint", "vae", "lora")
BASES = ("sdxl",)
# Names become directory and file names under SEIDRA_MODELS_DIR.
NAME_PATTERN = re.compile(r"[a-z0-9][a-z0-9._-]{0,99}")
REPO_ID_PATTERN = re.compile(r"[A-Za-z0-9][\w.-]*/[\w.-]+")

_COMMON_KEYS = {"name", "kind", "repo_id", "license", "base", "description"}
_KEYS = {
    "checkpoint": _COMMON_KEYS | {"variant", "files"},
    "vae": _COMMON_KEYS | {"variant", "files"},
    "lora": _COMMON_KEYS | {"style", "filename", "trigger_words", "default_weight"},
}
# Files without which a diffusers directory cannot load: checked here and after each download.
_REQUIRED_FILE = {"checkpoint": "model_index.json", "vae": "config.json"}


@dataclass(frozen=True)
class CatalogEntry:
    name: str
    kind: str
    repo_id: str
    files: tuple[str, ...]  # paths inside the repo; a LoRA has exactly one
    license: str
    base: str = "sdxl"
    variant: str = ""
    style: str = ""
    trigger_words: tuple[str, ...] = ()
    default_weight: float = 1.0
    description: str = ""

    @property
    def is_lora(self) -> bool:
        return self.kind == "lora"


@dataclass(frozen=True)
class Catalog:
    path: Path
    entries: tuple[CatalogEntry, ...] = field(default_factory=tuple)

    def get(self, name: str) -> CatalogEntry | None:
        return next((entry for entry in self.entries if entry.name == name), None)

    def loras(self) -> tuple[CatalogEntry, ...]:
        return tuple(entry for entry in self.entries if entry.is_lora)

    def names(self) -> list[str]:
        return [entry.name for entry in self.entries]


class _Invalid(Exception):
    """One problem in one entry; turned into a SeidraError naming the file and the entry."""


def catalog_load(path: Path | None = None) -> Catalog:
    path = Path(path or settings.SEIDRA_CATALOG_FILE)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SeidraError(f"Catalog file not found: {path} (setting SEIDRA_CATALOG_FILE).") from None
    except (OSError, UnicodeDecodeError) as error:
        raise SeidraError(f"Cannot read the catalog file {path}: {error}.") from None
    except json.JSONDecodeError as error:
        raise SeidraError(
            f"{path} is not valid JSON (line {error.lineno}, column {error.colno}): {error.msg}."
        ) from None

    raw_entries = data.get("entries") if isinstance(data, dict) else None
    if not isinstance(raw_entries, list):
        raise SeidraError(f'{path}: expected an object with an "entries" list.')

    entries: list[CatalogEntry] = []
    seen: set[str] = set()
    for index, raw in enumerate(raw_entries, start=1):
        label = f"entry {index}"
        if isinstance(raw, dict) and isinstance(raw.get("name"), str):
            label += f" ('{raw['name']}')"
        try:
            entry = _entry_parse(raw)
            if entry.name in seen:
                raise _Invalid(f"the name '{entry.name}' is used twice")
        except _Invalid as problem:
            raise SeidraError(f"{path}: {label}: {problem}.") from None
        seen.add(entry.name)
        entries.append(entry)
    return Catalog(path=path, entries=tuple(entries))


def _entry_parse(raw: object) -> CatalogEntry:
    if not isinstance(raw, dict):
        raise _Invalid("must be an object")
    kind = raw.get("kind")
    if kind not in KINDS:
        raise _Invalid(f"'kind' must be one of {', '.join(KINDS)}")
    unknown = sorted(set(raw) - _KEYS[kind])
    if unknown:
        raise _Invalid(f"unknown field(s) {', '.join(unknown)} for a {kind}")

    name = _string(raw, "name")
    if not NAME_PATTERN.fullmatch(name):
        raise _Invalid("'name' must be lower-case letters, digits, '.', '_' or '-' (a file name on disk)")
    repo_id = _string(raw, "repo_id")
    if not REPO_ID_PATTERN.fullmatch(repo_id):
        raise _Invalid(f"'repo_id' must look like 'owner/name', not '{repo_id}'")
    license_note = _string(raw, "license")
    base = _string(raw, "base")
    if base not in BASES:
        raise _Invalid(f"'base' must be one of {', '.join(BASES)}")
    description = _string(raw, "description", required=False)

    if kind == "lora":
        filename = _repo_path(_string(raw, "filename"), "filename")
        if not filename.endswith(".safetensors"):
            raise _Invalid("'filename' must be a .safetensors file")
        trigger_words = raw.get("trigger_words")
        if not isinstance(trigger_words, list) or not all(isinstance(w, str) and w.strip() for w in trigger_words):
            raise _Invalid("'trigger_words' must be a list of non-empty strings (may be empty)")
        weight = raw.get("default_weight")
        if isinstance(weight, bool) or not isinstance(weight, int | float) or not 0 < weight <= MAX_LORA_WEIGHT:
            raise _Invalid(f"'default_weight' must be a number above 0 and at most {MAX_LORA_WEIGHT:g}")
        return CatalogEntry(
            name=name, kind=kind, repo_id=repo_id, files=(filename,), license=license_note, base=base,
            style=_string(raw, "style"), trigger_words=tuple(w.strip() for w in trigger_words),
            default_weight=float(weight), description=description,
        )  # fmt: skip

    files = raw.get("files")
    if not isinstance(files, list) or not files or not all(isinstance(f, str) for f in files):
        raise _Invalid("'files' must be a non-empty list of paths inside the repo")
    files = [_repo_path(f, "files") for f in files]
    if _REQUIRED_FILE[kind] not in files:
        raise _Invalid(f"'files' must include {_REQUIRED_FILE[kind]}")
    if not any(f.endswith(".safetensors") for f in files):
        raise _Invalid("'files' must include the .safetensors weights")
    return CatalogEntry(
        name=name, kind=kind, repo_id=repo_id, files=tuple(files), license=license_note, base=base,
        variant=_string(raw, "variant", required=False), description=description,
    )  # fmt: skip


def _string(raw: dict, key: str, *, required: bool = True) -> str:
    value = raw.get(key, "" if not required else None)
    if not isinstance(value, str) or (required and not value.strip()):
        raise _Invalid(f"'{key}' must be a non-empty string" if required else f"'{key}' must be a string")
    return value.strip()


def _repo_path(value: str, key: str) -> str:
    """A relative path inside the repo; never absolute or climbing out of the target directory."""
    path = PurePosixPath(value)
    if not value or path.is_absolute() or ".." in path.parts or "\\" in value:
        raise _Invalid(f"'{key}' has an unsafe path '{value}'")
    return str(path)


def required_file(kind: str) -> str | None:
    """The file whose presence makes a directory of this kind loadable (None for LoRAs)."""
    return _REQUIRED_FILE.get(kind)
