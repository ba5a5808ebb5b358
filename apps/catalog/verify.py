"""What `setup_models` checks after a download, before anything is moved into place."""

import json
from collections.abc import Sequence
from pathlib import Path

from django.utils.translation import gettext as _

from .safetensors_header import safetensors_problem


def files_problems(*, base: Path, files: Sequence[str]) -> dict[str, str]:
    """Map each unusable file (relative to `base`) to the reason; empty when all are usable."""
    problems: dict[str, str] = {}
    for relative in files:
        path = base / relative
        if not path.is_file():
            problems[relative] = _("missing")
        elif path.suffix == ".safetensors":
            if problem := safetensors_problem(path):
                problems[relative] = problem
        elif path.suffix == ".json":
            try:
                json.loads(path.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError, json.JSONDecodeError):
                problems[relative] = _("not valid JSON")
    return problems


def problems_text(problems: dict[str, str], *, limit: int = 3) -> str:
    """One line: the first few problems and how many more."""
    shown = [f"{path} ({reason})" for path, reason in list(problems.items())[:limit]]
    if len(problems) > limit:
        shown.append(_("%(count)d more") % {"count": len(problems) - limit})
    return ", ".join(shown)
