"""What GPU generation will run on, and the memory mode to set when the card is small.

torch is imported inside gpu_report_collect only: importing this module stays cheap."""

from dataclasses import dataclass

from workers.engines.sdxl.memory import GIB, GPU_MODE_MIN_FREE, MemoryMode, recommended_memory_mode


@dataclass(frozen=True)
class GpuReport:
    cuda_available: bool
    name: str = ""
    total_vram_bytes: int = 0
    free_vram_bytes: int = 0
    cuda_version: str = ""  # the CUDA runtime torch was built with
    torch_version: str = ""
    problem: str = ""  # why no GPU could be queried (torch missing, driver error...)


def gpu_report_collect() -> GpuReport:
    try:
        import torch
    except ImportError:
        return GpuReport(cuda_available=False, problem="PyTorch is not installed (pip install -r requirements/ml.txt)")
    try:
        if not torch.cuda.is_available():
            return GpuReport(cuda_available=False, torch_version=torch.__version__)
        free, total = torch.cuda.mem_get_info(0)
        return GpuReport(
            cuda_available=True,
            name=torch.cuda.get_device_name(0),
            total_vram_bytes=total,
            free_vram_bytes=free,
            cuda_version=torch.version.cuda or "",
            torch_version=torch.__version__,
        )
    except RuntimeError as error:  # a broken driver raises here rather than reporting no GPU
        return GpuReport(cuda_available=False, torch_version=torch.__version__, problem=" ".join(str(error).split()))


def gpu_report_lines(report: GpuReport) -> tuple[list[str], list[str]]:
    """(information lines, warning lines) for a person setting the machine up."""
    if not report.cuda_available:
        why = f" ({report.problem})" if report.problem else ""
        return [], [f"No CUDA GPU found{why}: generation will run on the CPU (very slow)."]
    info = [
        f"GPU: {report.name}, {report.total_vram_bytes / GIB:.1f} GiB VRAM ({report.free_vram_bytes / GIB:.1f} GiB "
        f"free), CUDA {report.cuda_version or '?'}, torch {report.torch_version}."
    ]
    mode = recommended_memory_mode(report.free_vram_bytes)
    if mode is MemoryMode.GPU:
        return info, []
    warning = (
        f"Less than {GPU_MODE_MIN_FREE / GIB:.0f} GiB of free VRAM: SDXL will not fit entirely on this GPU. "
        f"Set SEIDRA_MEMORY_MODE={mode.value} (recommended for {report.free_vram_bytes / GIB:.1f} GiB free)."
    )
    return info, [warning]
