"""GPU gauges of the worker's metrics port, read from NVML (nvidia-ml-py, requirements/gpu.txt) at
scrape time. Without the package, a driver or a device the families are left out: absent metrics,
not zeros, so a dashboard or an alert never mistakes a CPU box for an idle GPU."""

import logging

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from apps.core import metrics

logger = logging.getLogger(__name__)


def _nvml():
    try:
        import pynvml  # nvidia-ml-py
    except ImportError:
        return None
    try:
        pynvml.nvmlInit()
    except pynvml.NVMLError as error:
        logger.info("GPU metrics off: NVML unavailable (%s)", error)
        return None
    return pynvml


def _name(value) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


class GpuCollector(Collector):
    def __init__(self) -> None:
        self.nvml = _nvml()

    def describe(self):
        return []  # absent families must not be announced

    def collect(self):
        if self.nvml is None:
            return
        nvml = self.nvml
        used, total, busy = (GaugeMetricFamily(*spec[:2], labels=spec[2]) for spec in (
            metrics.GPU_MEMORY_USED, metrics.GPU_MEMORY_TOTAL, metrics.GPU_UTILIZATION))  # fmt: skip
        try:
            for index in range(nvml.nvmlDeviceGetCount()):
                handle = nvml.nvmlDeviceGetHandleByIndex(index)
                device = f"{index}:{_name(nvml.nvmlDeviceGetName(handle))}"
                memory = nvml.nvmlDeviceGetMemoryInfo(handle)
                used.add_metric([device], memory.used)
                total.add_metric([device], memory.total)
                busy.add_metric([device], nvml.nvmlDeviceGetUtilizationRates(handle).gpu / 100)
        except nvml.NVMLError as error:
            logger.warning("GPU metrics left out of this scrape: %s", error)
            return
        yield from (used, total, busy)
