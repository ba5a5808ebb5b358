"""A `comfyui` worker runs on any host: the ComfyUI engine must not pull in torch or diffusers."""

import subprocess
import sys

from django.conf import settings

from tests.support.processes import child_env


def test_the_comfyui_engine_loads_without_torch():
    script = (
        "import sys, django; django.setup()\n"
        "from workers.engines.base import engine_for\n"
        "engine_for('comfyui')\n"
        "print(sorted(name for name in ('torch', 'diffusers', 'transformers') if name in sys.modules))\n"
    )
    env = child_env(DJANGO_SETTINGS_MODULE="seidra.settings.test")
    answer = subprocess.run(
        [sys.executable, "-c", script], cwd=settings.BASE_DIR, env=env, capture_output=True, text=True, timeout=120
    )
    assert answer.returncode == 0, answer.stderr
    assert answer.stdout.strip() == "[]"
