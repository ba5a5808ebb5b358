"""The test session's ComfyUI server: the same throw-away server the benchmarks use (seidra/local_comfyui.py)."""

from seidra.local_comfyui import COMFYUI_DIR_ENV, ComfyServer, comfy_server_start, comfyui_dir

__all__ = ["ComfyServer", "comfy_server_start", "comfyui_dir", "SKIP_REASON", "TEST_TIMEOUT_S"]

SKIP_REASON = (
    f"{COMFYUI_DIR_ENV} is not set: the ComfyUI tests need ComfyUI's source and setup-venv.sh "
    f"(run them with {COMFYUI_DIR_ENV}=/path/to/shared/comfyui, as .ci/run does; see the README)"
)
# A test using the server may first build the venv and the checkpoint (minutes on a cold machine),
# then run jobs of a minute or more each: the suite's default per-test timeout is too short.
TEST_TIMEOUT_S = 2400
