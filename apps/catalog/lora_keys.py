"""Which naming a LoRA file uses for its weights, read from its safetensors header (no torch).

ComfyUI maps kohya names (`lora_unet_down_blocks_0_..._to_q.lora_down.weight`, `lora_te1_...`)
onto its model and silently skips any other key: a diffusers/PEFT LoRA (`unet.down_blocks....
lora_A.weight`, `....lora.down.weight`) runs without effect, with only "lora key not loaded" in the
server's log. The catalog records the format so pages can warn and the validator can refuse it on
ComfyUI models; diffusers (the local engine) loads both.
"""

from pathlib import Path

from .models import LoraKeyFormat
from .safetensors_header import InvalidSafetensors, safetensors_header_read

KOHYA_PREFIXES = ("lora_unet_", "lora_te_", "lora_te1_", "lora_te2_", "lora_te3_")
DIFFUSERS_MARKERS = (".lora_A.", ".lora_B.", ".lora.down.", ".lora.up.", ".lora_linear_layer.")
DIFFUSERS_PREFIXES = ("unet.", "text_encoder.", "text_encoder_2.", "transformer.", "base_model.model.")


def lora_key_format(path: Path) -> str:
    """LoraKeyFormat.KOHYA, .DIFFUSERS, or .UNKNOWN (unreadable, or keys of neither kind)."""
    try:
        header = safetensors_header_read(path)
    except InvalidSafetensors:
        return LoraKeyFormat.UNKNOWN
    return lora_key_format_of(key for key in header if key != "__metadata__")


def lora_key_format_of(keys) -> str:
    keys = list(keys)
    if any(key.startswith(KOHYA_PREFIXES) for key in keys):
        return LoraKeyFormat.KOHYA
    if any(key.startswith(DIFFUSERS_PREFIXES) or any(marker in key for marker in DIFFUSERS_MARKERS) for key in keys):
        return LoraKeyFormat.DIFFUSERS
    return LoraKeyFormat.UNKNOWN
