"""Where and how pipelines run: device, precision, attention, memory mode, compile. Chosen
automatically from the hardware, overridable by settings (SEIDRA_DEVICE, SEIDRA_DTYPE, ...)."""

import importlib.util
from dataclasses import dataclass

import torch

from apps.catalog.limits import CPU_MAX_PIXELS, CPU_MAX_STEPS

from .errors import EngineError
from .memory import MemoryMode, recommended_memory_mode

DTYPES = {"fp16": torch.float16, "bf16": torch.bfloat16, "fp32": torch.float32}


@dataclass(frozen=True)
class Runtime:
    device: torch.device
    dtype: torch.dtype
    attention: str  # "sdpa" or "xformers"
    memory_mode: MemoryMode
    vae_slicing: bool = False
    vae_tiling: bool = False
    compile: bool = False
    compile_backend: str = "inductor"
    compile_lora_rank: int = 64  # largest total LoRA rank a compiled pipeline can hot-swap in
    # Jobs a CPU device refuses (SEIDRA_CPU_MAX_PIXELS / _STEPS): width x height x images, and steps.
    cpu_max_pixels: int = CPU_MAX_PIXELS
    cpu_max_steps: int = CPU_MAX_STEPS

    @property
    def on_cpu(self) -> bool:
        return self.device.type == "cpu"

    @property
    def dtype_name(self) -> str:
        return next(name for name, dtype in DTYPES.items() if dtype == self.dtype)

    def device_label(self) -> str:
        """The device as a person reads it: "cpu", or "cuda (NVIDIA ...)" with the card's name."""
        if self.device.type == "cuda":
            return f"{self.device} ({torch.cuda.get_device_name(self.device)})"
        return str(self.device)

    def describe(self) -> dict:
        return {
            "device": str(self.device),
            "dtype": self.dtype_name,
            "attention": self.attention,
            "memory_mode": self.memory_mode.value,
            "compile": self.compile,
        }


def _pick_device(setting: str) -> torch.device:
    if setting and setting != "auto":
        device = torch.device(setting)
        if device.type == "cuda" and not torch.cuda.is_available():
            raise EngineError(
                f"SEIDRA_DEVICE={setting} but CUDA is not available: check `nvidia-smi`, or set SEIDRA_DEVICE=cpu."
            )
        if device.type == "mps" and not torch.backends.mps.is_available():
            raise EngineError(f"SEIDRA_DEVICE={setting} but Apple MPS is not available: set SEIDRA_DEVICE=cpu.")
        return device
    if torch.cuda.is_available():
        return torch.device("cuda")
    if torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def _pick_dtype(setting: str, device: torch.device) -> torch.dtype:
    if setting and setting != "auto":
        if setting not in DTYPES:
            raise EngineError(f"SEIDRA_DTYPE={setting} is unknown: use one of auto, {', '.join(DTYPES)}.")
        if device.type == "cpu" and setting == "fp16":
            raise EngineError("SEIDRA_DTYPE=fp16 is not supported on the CPU: use fp32 (or bf16).")
        return DTYPES[setting]
    # Half precision halves memory and doubles speed on GPUs; CPUs lack fast fp16 kernels.
    return torch.float16 if device.type in ("cuda", "mps") else torch.float32


def xformers_available() -> bool:
    return importlib.util.find_spec("xformers") is not None


def _pick_attention(setting: str, device: torch.device) -> str:
    setting = setting or "auto"
    if setting == "sdpa":
        return "sdpa"
    if setting == "xformers":
        if device.type != "cuda":
            raise EngineError("SEIDRA_ATTENTION=xformers needs a CUDA GPU: set SEIDRA_ATTENTION=sdpa.")
        if not xformers_available():
            raise EngineError(
                "SEIDRA_ATTENTION=xformers but xformers is not installed: "
                "`pip install -r requirements/gpu.txt`, or set SEIDRA_ATTENTION=sdpa."
            )
        return "xformers"
    if setting != "auto":
        raise EngineError(f"SEIDRA_ATTENTION={setting} is unknown: use auto, sdpa or xformers.")
    return "xformers" if device.type == "cuda" and xformers_available() else "sdpa"


def _pick_memory_mode(setting: str, device: torch.device) -> MemoryMode:
    if setting and setting != "auto":
        try:
            return MemoryMode(setting)
        except ValueError:
            choices = ", ".join(mode.value for mode in MemoryMode)
            raise EngineError(f"SEIDRA_MEMORY_MODE={setting} is unknown: use auto, {choices}.") from None
    if device.type != "cuda":
        return MemoryMode.GPU  # "all on the device": offloading only helps a separate GPU memory
    free, _total = torch.cuda.mem_get_info(device)
    return recommended_memory_mode(free)


def runtime_from_settings(settings) -> Runtime:
    device = _pick_device(getattr(settings, "SEIDRA_DEVICE", "auto"))
    return Runtime(
        device=device,
        dtype=_pick_dtype(getattr(settings, "SEIDRA_DTYPE", "auto"), device),
        attention=_pick_attention(getattr(settings, "SEIDRA_ATTENTION", "auto"), device),
        memory_mode=_pick_memory_mode(getattr(settings, "SEIDRA_MEMORY_MODE", "auto"), device),
        vae_slicing=getattr(settings, "SEIDRA_VAE_SLICING", False),
        vae_tiling=getattr(settings, "SEIDRA_VAE_TILING", False),
        compile=getattr(settings, "SEIDRA_COMPILE", False),
        compile_backend=getattr(settings, "SEIDRA_COMPILE_BACKEND", "inductor"),
        compile_lora_rank=getattr(settings, "SEIDRA_COMPILE_LORA_RANK", 128),
        cpu_max_pixels=getattr(settings, "SEIDRA_CPU_MAX_PIXELS", CPU_MAX_PIXELS),
        cpu_max_steps=getattr(settings, "SEIDRA_CPU_MAX_STEPS", CPU_MAX_STEPS),
    )
