"""LoRAs: each file is loaded once per resident pipeline, then jobs only switch adapter weights."""

import re
from dataclasses import dataclass
from pathlib import Path

from .cache import LoadedPipeline
from .errors import LoraError


@dataclass(frozen=True)
class LoraSpec:
    name: str
    path: Path
    weight: float = 1.0


def _adapter_name(lora_name: str) -> str:
    # PEFT adapter names become attribute keys: letters, digits and underscores only.
    return "lora_" + re.sub(r"\W", "_", lora_name)


def _load_once(loaded: LoadedPipeline, lora: LoraSpec) -> str:
    if lora.name in loaded.adapters:
        return loaded.adapters[lora.name]
    if not lora.path.exists():
        raise LoraError(f"Unknown LoRA '{lora.name}': no file at {lora.path}. Install it or pick another.")
    pipeline, adapter = loaded.pipeline, _adapter_name(lora.name)
    try:
        pipeline.load_lora_weights(str(lora.path), adapter_name=adapter)
    except Exception as error:  # shape mismatch, bad keys, unreadable file: all leave the same remedy
        _forget_adapter(loaded, adapter)
        reason = str(error).splitlines()[0][:200]
        raise LoraError(
            f"LoRA '{lora.name}' does not fit model '{loaded.source.name}' (made for another base model?): {reason}"
        ) from error
    if adapter not in pipeline.get_list_adapters().get("unet", []):
        _forget_adapter(loaded, adapter)
        raise LoraError(
            f"LoRA '{lora.name}' matches no layer of model '{loaded.source.name}' (made for another base model?)."
        )
    loaded.adapters[lora.name] = adapter
    return adapter


def _forget_adapter(loaded: LoadedPipeline, adapter: str) -> None:
    """Remove what a failed load may have registered, so the cached pipeline stays as it was."""
    registered = {name for names in loaded.pipeline.get_list_adapters().values() for name in names}
    if adapter in registered:
        loaded.pipeline.delete_adapters(adapter)


def apply_loras(loaded: LoadedPipeline, loras: list[LoraSpec]) -> None:
    """Activate exactly `loras` with their weights; weight 0 is the same as leaving the LoRA out."""
    active = [lora for lora in loras if lora.weight != 0]
    names = [_load_once(loaded, lora) for lora in active]
    if not loaded.adapters:
        return
    if names:
        loaded.pipeline.enable_lora()
        loaded.pipeline.set_adapters(names, adapter_weights=[lora.weight for lora in active])
    else:
        loaded.pipeline.disable_lora()
