"""Memory modes for 24 GB cards and smaller, lightest last. `auto` picks one from free VRAM."""

import enum

GIB = 1024**3


class MemoryMode(enum.StrEnum):
    GPU = "gpu"  # every component resident on the GPU: fastest, ~10-12 GB for SDXL fp16 at 1024x1024
    MODEL_OFFLOAD = "model_offload"  # one component on the GPU at a time: ~6-8 GB, a little slower
    SEQUENTIAL_OFFLOAD = "sequential_offload"  # layer by layer: ~3-4 GB, several times slower

    @classmethod
    def lighter_than(cls, mode: "MemoryMode") -> "MemoryMode | None":
        order = list(cls)
        index = order.index(mode)
        return order[index + 1] if index + 1 < len(order) else None


# Free VRAM needed to keep SDXL fully resident in fp16 at 1024x1024 with a batch of 1-2 (measured
# figures from the diffusers memory guide, rounded up), and for model offload.
GPU_MODE_MIN_FREE = 12 * GIB
MODEL_OFFLOAD_MIN_FREE = 7 * GIB


def recommended_memory_mode(free_vram_bytes: int) -> MemoryMode:
    if free_vram_bytes >= GPU_MODE_MIN_FREE:
        return MemoryMode.GPU
    if free_vram_bytes >= MODEL_OFFLOAD_MIN_FREE:
        return MemoryMode.MODEL_OFFLOAD
    return MemoryMode.SEQUENTIAL_OFFLOAD
