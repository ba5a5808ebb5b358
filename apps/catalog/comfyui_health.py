"""Each ComfyUI server's state for /api/health and the Models page: reachable, version, devices and
VRAM (`GET /system_stats`), queue (`GET /queue`). Short timeouts and the servers asked at once, so
a dead server delays a page by at most REMOTE_CHECK_TIMEOUT seconds."""

from concurrent.futures import ThreadPoolExecutor

from django.conf import settings

from apps.core.health import REMOTE_CHECK_TIMEOUT

from .comfyui_client import ComfyClient, ComfyError


def comfyui_server_health(url: str) -> dict:
    """{url, status ok|error, reason, version, devices [{name, type, vram_total, vram_free}],
    queue {running, pending} or None when unreachable}"""
    client = ComfyClient(url, timeout=min(REMOTE_CHECK_TIMEOUT, settings.SEIDRA_COMFYUI_HTTP_TIMEOUT))
    item = {"url": url, "status": "ok", "reason": "", "version": "", "devices": [], "queue": None}
    try:
        stats = client.system_stats()
        queue = client.queue()
    except ComfyError as error:
        return {**item, "status": "error", "reason": error.message}
    except (AttributeError, IndexError, KeyError, TypeError) as error:  # JSON of another shape: not ComfyUI?
        return {**item, "status": "error", "reason": comfyui_malformed_reason(url, error)}
    system = stats.get("system") or {}
    item["version"] = str(system.get("comfyui_version") or "")
    item["devices"] = [
        {
            "name": str(device.get("name", "")),
            "type": str(device.get("type", "")),
            "vram_total": int(device.get("vram_total") or 0),
            "vram_free": int(device.get("vram_free") or 0),
        }
        for device in stats.get("devices") or []
        if isinstance(device, dict)
    ]
    item["queue"] = {"running": len(queue.running), "pending": len(queue.pending)}
    return item


def comfyui_health(urls: list[str] | None = None) -> list[dict]:
    """One item per configured server, in SEIDRA_COMFYUI_URL's order (empty when none is configured)."""
    urls = list(settings.SEIDRA_COMFYUI_URLS if urls is None else urls)
    if not urls:
        return []
    with ThreadPoolExecutor(max_workers=min(len(urls), 8)) as pool:
        return list(pool.map(comfyui_server_health, urls))


def comfyui_malformed_reason(url: str, error: Exception) -> str:
    return f"{url} answered in a shape ComfyUI does not use ({type(error).__name__}): is it a ComfyUI server?"
