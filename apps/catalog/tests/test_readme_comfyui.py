"""The README's scheduler table for ComfyUI says what COMFYUI_SAMPLERS does."""

import re
from pathlib import Path

from apps.catalog.parameters import COMFYUI_SAMPLERS, SCHEDULERS

README = Path(__file__).resolve().parents[3] / "README.md"


def test_readme_sampler_table_matches_the_mapping():
    text = README.read_text()
    table = re.search(r"<!-- comfyui-samplers-table -->\n(.*?)<!-- /comfyui-samplers-table -->", text, re.S).group(1)
    rows = [line for line in table.splitlines() if line.startswith("|")][2:]  # past the header and the rule
    expected = [
        f"| {SCHEDULERS[key]} (`{key}`) | `{sampler}` | `{schedule}` |"
        for key, (sampler, schedule) in COMFYUI_SAMPLERS.items()
    ]
    assert rows == expected
