"""The SadTalker service's state for /api/health and the Models page, and which engine makes videos.

Off when SEIDRA_SADTALKER_URL is unset (videos use the local approximate-motion engine); otherwise
reachable or not, with the service's queue and GPU. A short timeout and no retry: a dead service
delays a page by at most REMOTE_CHECK_TIMEOUT seconds."""

from django.conf import settings

from apps.core.health import REMOTE_CHECK_TIMEOUT

from .sadtalker_client import SadTalkerClient, SadTalkerError
from .video_request import VIDEO_ENGINE_LABELS, video_engine_configured


def sadtalker_health() -> dict:
    """{status off|ok|error, engine, engine_label} plus, with a URL: url, reason, queue {running,
    pending} or None, gpu (the service's list, or None when it has no nvidia-smi or is unreachable)."""
    engine = video_engine_configured()
    item = {"status": "off", "engine": engine, "engine_label": str(VIDEO_ENGINE_LABELS[engine])}
    url = settings.SEIDRA_SADTALKER_URL
    if not url:
        return item
    item.update({"url": url, "status": "ok", "reason": "", "queue": None, "gpu": None})
    client = SadTalkerClient(url, timeout=min(REMOTE_CHECK_TIMEOUT, settings.SEIDRA_SADTALKER_HTTP_TIMEOUT), retries=0)
    try:
        body = client.health()
        queue = body["queue"]
        item["queue"] = {"running": int(queue["running"]), "pending": int(queue["pending"])}
    except SadTalkerError as error:
        return {**item, "status": "error", "reason": error.message}
    except (KeyError, TypeError, ValueError) as error:  # JSON of another shape: not this service?
        return {**item, "status": "error", "reason": f"{url}/health answered in a shape the SadTalker service "
                f"does not use ({type(error).__name__}): is it ops/sadtalker/server.py?"}  # fmt: skip
    gpu = body.get("gpu")
    item["gpu"] = [
        {"name": str(device.get("name", "")), "memory_total_mb": device.get("memory_total_mb"),
         "memory_used_mb": device.get("memory_used_mb")}
        for device in gpu if isinstance(device, dict)
    ] if isinstance(gpu, list) else None  # fmt: skip
    return item
