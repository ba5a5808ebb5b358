"""The import rules of docs/architecture.md section 3, checked on the source: apps.core imports no
feature app, and no app imports the worker package or torch (the web process enqueues by path)."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APPS = ROOT / "apps"


def _imported_modules(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def _sources(folder: Path) -> list[Path]:
    return [path for path in folder.rglob("*.py") if "tests" not in path.relative_to(folder).parts]


def test_core_imports_no_feature_app():
    found = {
        f"{path.relative_to(ROOT)}: {name}"
        for path in _sources(APPS / "core")
        for name in _imported_modules(path)
        if name.startswith("apps.") and not name.startswith("apps.core")
    }
    assert not found, f"apps.core must not depend on feature apps (wire pages in seidra/): {sorted(found)}"


def test_no_app_imports_the_workers_or_torch():
    found = {
        f"{path.relative_to(ROOT)}: {name}"
        for path in _sources(APPS)
        for name in _imported_modules(path)
        if name.split(".")[0] in {"workers", "torch", "diffusers"}
    }
    assert not found, f"apps/* must leave torch to the workers: {sorted(found)}"


# Feature apps in layers (docs/architecture.md section 3): an app imports only apps of lower layers.
# The catalog holds the parameter validator, so personas (which check their defaults with it) and
# jobs (which compose a persona, then validate) both sit above it; the gallery knows jobs only by a
# string foreign key, so jobs can read media (Remix); moderation acts on media and jobs ask its
# blocklist before creating a job.
LAYERS = [
    {"core"},
    {"accounts"},
    {"notifications", "catalog"},
    {"gallery"},
    {"personas", "moderation"},
    {"jobs"},
    {"home"},
]


def test_feature_apps_import_only_lower_layers():
    layer_of = {app: index for index, apps in enumerate(LAYERS) for app in apps}
    assert set(layer_of) == {path.name for path in APPS.iterdir() if (path / "apps.py").exists()}, (
        "every app has its layer in LAYERS"
    )
    found = set()
    for app, layer in layer_of.items():
        for path in _sources(APPS / app):
            for name in _imported_modules(path):
                parts = name.split(".")
                if parts[0] == "apps" and len(parts) > 1 and parts[1] != app and layer_of[parts[1]] >= layer:
                    found.add(f"{path.relative_to(ROOT)}: {name}")
    assert not found, f"an app imports one of its own layer or above: {sorted(found)}"
