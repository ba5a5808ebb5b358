"""`make bench`'s gallery section: the gallery's pages and API with 10 and 1,000 media of one user.

Measured in a child process on a scratch SQLite database and media folder (never the owner's), with
Django's test client in that process: the figures are the server's own work per request (views,
queries, templates), without network or web-server overhead. For each size: database queries per
request (the same for 10 and 1,000 items is the point) and the time over repeated requests.
"""

import json
import statistics
import tempfile
import time
from pathlib import Path

from django.conf import settings

from .scratch import scratch_env, scratch_manage

SIZES = (10, 1000)
REPEATS = 20


def run() -> dict:
    with tempfile.TemporaryDirectory(prefix="seidra-bench-gallery-") as scratch:
        env = scratch_env(Path(scratch))

        def manage(*args: str) -> str:
            return scratch_manage(env, *args)

        manage("migrate", "--no-input", "-v", "0")
        manage("collectstatic", "--no-input", "-v", "0")  # DEBUG off serves the collected files, as `make run`
        output = manage("shell", "-c", "from workers.bench.gallery_pages import measure; measure()")
        return json.loads(output.strip().splitlines()[-1])


def _timed(client, url: str) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    queries = len(captured)  # now: each request's start empties the connection's query log
    seconds = []
    for _ in range(REPEATS):
        started = time.perf_counter()
        client.get(url)
        seconds.append(time.perf_counter() - started)
    seconds.sort()
    return {
        "queries": queries,
        "ms_p50": round(statistics.median(seconds) * 1000, 1),
        "ms_p95": round(seconds[int(0.95 * (len(seconds) - 1))] * 1000, 1),
    }


def measure() -> None:
    """In the child process (scratch database): one user's gallery at each size; prints JSON."""
    from datetime import timedelta

    from django.test import Client
    from django.urls import reverse
    from django.utils import timezone

    from apps.accounts.models import User
    from apps.gallery.models import Media
    from apps.gallery.selectors import GridCursor
    from apps.gallery.services import _filter_columns

    parameters = {
        "prompt": "a lighthouse at dusk", "negative_prompt": "blurry", "model": "sdxl-base-1.0",
        "loras": [{"name": "watercolor", "weight": 0.8}], "width": 1024, "height": 1024, "steps": 30,
        "guidance": 7.0, "scheduler": "Euler a", "seed": 1,
    }  # fmt: skip
    report = {"repeats": REPEATS, "page_size": settings.SEIDRA_GALLERY_PAGE_SIZE}
    for size in SIZES:
        user = User.objects.create_user(f"bench-{size}", password=None)
        now = timezone.now()
        Media.objects.bulk_create(
            Media(
                owner=user,
                width=1024,
                height=1024,
                parameters={**parameters, "seed": number},
                file=f"outputs/{user.pk}/{number}.png",
                file_size=1_500_000,
                created=now - timedelta(seconds=number),
                **_filter_columns(parameters),
            )  # fmt: skip
            for number in range(size)
        )
        client = Client(HTTP_HOST="localhost")
        client.force_login(user)
        items = list(Media.objects.filter(owner=user).order_by("-created", "index", "id"))
        cut = items[min(len(items), settings.SEIDRA_GALLERY_PAGE_SIZE) - 1]
        report[f"media_{size}"] = {
            "gallery_page": _timed(client, reverse("pages:gallery")),
            "gallery_next_page": _timed(client, f"{reverse('gallery:grid')}?after={GridCursor.of(cut)}"),
            "gallery_filtered_search": _timed(client, f"{reverse('pages:gallery')}?q=lighthouse&lora=watercolor"),
            "lightbox": _timed(client, reverse("gallery:lightbox", args=[items[len(items) // 2].pk])),
            "api_media_list": _timed(client, reverse("api-media")),
        }
    print(json.dumps(report))
