"""LoRAs: each file is loaded once per resident pipeline, then jobs only switch adapter weights."""

import re
from dataclasses import dataclass
from pathlib import Path

import torch

from apps.core import metrics

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
    signature = tuple((lora.name, lora.weight) for lora in loras if lora.weight != 0)
    if signature != loaded.lora_signature:
        metrics.lora_switches.inc()
        loaded.lora_signature = signature
    if loaded.runtime.compile:
        apply_loras_compiled(loaded, loras)
        return
    active = [lora for lora in loras if lora.weight != 0]
    names = [_load_once(loaded, lora) for lora in active]
    if not loaded.adapters:
        return
    if names:
        loaded.pipeline.enable_lora()
        loaded.pipeline.set_adapters(names, adapter_weights=[lora.weight for lora in active])
    else:
        loaded.pipeline.disable_lora()


# --- Compiled pipelines (SEIDRA_COMPILE=1) ---------------------------------------------------
# Loading or re-weighting PEFT adapters changes what torch.compile traced, so a compiled UNet
# gets one LoRA "slot" at load time, covering every projection of its transformer blocks, and
# each job hot-swaps its LoRAs into it (diffusers' LoRA hotswap): the job's LoRAs are merged
# exactly by stacking their ranks, A = [A1; A2], B = [w1*s1*B1, w2*s2*B2], so B·A = Σ wi·si·Bi·Ai.

COMPILED_SLOT = "seidra_slot"
SLOT_TARGETS = ("to_q", "to_k", "to_v", "to_out.0", "ff.net.0.proj", "ff.net.2", "proj_in", "proj_out")


def _slot_modules(pipeline) -> dict[str, tuple[int, int]]:
    unet = getattr(pipeline.unet, "_orig_mod", pipeline.unet)
    modules = {}
    for name, module in unet.named_modules():
        base = getattr(module, "base_layer", module)
        if name.endswith(SLOT_TARGETS) and isinstance(base, torch.nn.Linear):
            modules[f"unet.{name}"] = (base.in_features, base.out_features)
    return modules


def _slot_state(pipeline, parts: dict[str, list[tuple[torch.Tensor, torch.Tensor]]], rank: int) -> dict:
    """Every slot module gets an entry of exactly `rank` (zero-padded; zeros where no LoRA applies):
    hotswap needs identical adapter configs, and nothing stale may stay behind."""
    state = {}
    for module, (in_features, out_features) in _slot_modules(pipeline).items():
        pairs = parts.get(module, [])
        used = sum(down.shape[0] for down, _up in pairs)
        if used > rank:
            raise LoraError(
                f"These LoRAs together have rank {used} on {module}, more than the compiled slot's {rank}: "
                "use fewer LoRAs or raise SEIDRA_COMPILE_LORA_RANK."
            )
        padding = rank - used
        state[f"{module}.lora_A.weight"] = torch.cat([*(d for d, _u in pairs), torch.zeros(padding, in_features)])
        state[f"{module}.lora_B.weight"] = torch.cat([*(u for _d, u in pairs), torch.zeros(out_features, padding)], 1)
    return state


def prepare_compiled_slot(pipeline, *, rank: int) -> None:
    pipeline.load_lora_weights(_slot_state(pipeline, {}, rank), adapter_name=COMPILED_SLOT)


def _unet_parts(loaded: LoadedPipeline, lora: LoraSpec) -> dict[str, tuple[torch.Tensor, torch.Tensor, float]]:
    """The LoRA's UNet pairs (down, up, alpha/rank scale), read once per pipeline."""
    if lora.name in loaded.lora_states:
        return loaded.lora_states[lora.name]
    if not lora.path.exists():
        raise LoraError(f"Unknown LoRA '{lora.name}': no file at {lora.path}. Install it or pick another.")
    state, alphas = type(loaded.pipeline).lora_state_dict(str(lora.path))
    slot = _slot_modules(loaded.pipeline)
    parts = {}
    for key, down in state.items():
        if not key.endswith(".lora_A.weight"):
            continue
        module = key.removesuffix(".lora_A.weight")
        if not module.startswith("unet."):
            raise LoraError(
                f"LoRA '{lora.name}' also trains the text encoders, which SEIDRA_COMPILE=1 does not support: "
                "unset SEIDRA_COMPILE to use it."
            )
        if module not in slot or down.shape[1] != slot[module][0]:
            raise LoraError(
                f"LoRA '{lora.name}' does not fit model '{loaded.source.name}' (made for another base model, or "
                f"targets layers a compiled pipeline cannot swap: {module})."
            )
        up = state[f"{module}.lora_B.weight"]
        alpha = (alphas or {}).get(f"{module}.alpha") or (alphas or {}).get(module)
        parts[module] = (down.float(), up.float(), float(alpha) / down.shape[0] if alpha else 1.0)
    loaded.lora_states[lora.name] = parts
    return parts


def apply_loras_compiled(loaded: LoadedPipeline, loras: list[LoraSpec]) -> None:
    active = [lora for lora in loras if lora.weight != 0]
    signature = tuple((lora.name, lora.weight) for lora in active)
    if signature == loaded.slot_signature:
        return
    merged: dict[str, list[tuple[torch.Tensor, torch.Tensor]]] = {}
    for lora in active:
        for module, (down, up, scale) in _unet_parts(loaded, lora).items():
            merged.setdefault(module, []).append((down, up * (lora.weight * scale)))
    state = _slot_state(loaded.pipeline, merged, loaded.runtime.compile_lora_rank)
    loaded.pipeline.load_lora_weights(state, adapter_name=COMPILED_SLOT, hotswap=True)
    loaded.slot_signature = signature
