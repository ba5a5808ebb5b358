"""`make bench`: measure, print JSON, keep a copy under reports/bench/."""

import json
import platform
import sys
from datetime import UTC, datetime

from django.conf import settings
from django.core.management.base import BaseCommand

SECTIONS = ("engine", "jobs", "gallery", "web", "comfyui", "video", "scaleout", "gpu")


class Command(BaseCommand):
    help = (
        "Run the benchmarks and print one JSON document on stdout (also saved as reports/bench/<time>.json): "
        "the SDXL engine on the tiny demo model (cold load, seconds per step and per image at two sizes, LoRA "
        "switch, loads over 10 runs), generation jobs end to end through a private Redis, daphne and one GPU "
        "worker (overhead over the bare pipeline, pickup and first-progress latency, jobs per minute), the "
        "gallery's pages and media API with 10 and 1,000 media (queries and milliseconds per request), the web "
        "server under Locust (50 and 100 users with sessions open, 50 users while others sign in; requests/s, "
        "errors, p50/p95 for pages, API and logins), a tiny ComfyUI job sent straight to a real ComfyUI server and "
        "through SEIDRA (seconds and their ratio; needs SEIDRA_TEST_COMFYUI_DIR), the local talking-video engine "
        "(CPU seconds per second of video at 256 and 512, on the astronaut portrait and a 10 s track), SEIDRA's "
        "overhead around the SadTalker service run with its test command (a ratio to the service's own time), "
        "jobs per minute through 1, 2 and 4 GPU workers on a private PostgreSQL and S3 server with the web's p95 "
        "for GET /api/jobs and a media redirect while they run (scale-out, a few minutes) and, "
        "on a CUDA GPU, a full-size SDXL UNet at 1024x1024 "
        "(eager SDPA, xFormers if installed, torch.compile)."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--only", choices=SECTIONS, help="Run this section alone (web: about 4 minutes).")
        parser.add_argument("--skip-gpu", action="store_true", help="Skip the full-size GPU UNet section.")
        parser.add_argument("--skip-jobs", action="store_true", help="Skip the end-to-end jobs section.")
        parser.add_argument("--skip-web", action="store_true", help="Skip the Locust web section.")
        parser.add_argument("--skip-comfyui", action="store_true", help="Skip the ComfyUI overhead section.")
        parser.add_argument("--web-processes", type=int, help="Web section: SEIDRA_WEB_PROCESSES to measure.")
        parser.add_argument("--http-threads", type=int, help="Web section: SEIDRA_HTTP_THREADS to measure.")

    def handle(self, *args, only: str | None, skip_gpu: bool, skip_jobs: bool, skip_web: bool, **options) -> None:
        skipped = {"gpu": skip_gpu, "jobs": skip_jobs, "web": skip_web, "comfyui": options["skip_comfyui"]}
        sections = [only] if only else [name for name in SECTIONS if not skipped.get(name)]
        report = {
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
            "machine": {"python": sys.version.split()[0], "platform": platform.platform()},
        }
        if "engine" in sections or "jobs" in sections or "gpu" in sections:
            import torch  # only the GPU-side sections need it

            report["machine"]["torch"] = torch.__version__
        if "engine" in sections:
            from workers.bench import engine_tiny
            from workers.engines.sdxl.runtime import runtime_from_settings

            self.stderr.write("Benchmarking the engine on the tiny model...")
            report["engine_tiny_model"] = engine_tiny.run(runtime_from_settings(settings))
        if "jobs" in sections:
            from workers.bench import jobs_e2e

            self.stderr.write("Benchmarking jobs end to end (private Redis, daphne and worker)...")
            report["jobs_end_to_end"] = jobs_e2e.run()
        if "gallery" in sections:
            from workers.bench import gallery_pages

            self.stderr.write("Benchmarking the gallery with 10 and 1,000 media (scratch database)...")
            report["gallery_pages"] = gallery_pages.run()
        if "web" in sections:
            from workers.bench import web_locust

            self.stderr.write("Benchmarking the web server under Locust (private Redis, database and server)...")
            report["web_locust"] = web_locust.run(
                processes=options["web_processes"], threads=options["http_threads"], log=self.stderr.write
            )
        if "comfyui" in sections:
            from workers.bench import comfyui_overhead

            self.stderr.write("Benchmarking a ComfyUI job straight and through SEIDRA (real ComfyUI server)...")
            report["comfyui_overhead"] = comfyui_overhead.run()
        if "video" in sections:
            from workers.bench import video_local, video_sadtalker

            self.stderr.write("Benchmarking the local talking-video engine (CPU seconds per second of video)...")
            report["video"] = {"local_motion": video_local.run()}
            self.stderr.write("Benchmarking SEIDRA's overhead around the SadTalker service (its test command)...")
            report["video"]["sadtalker"] = video_sadtalker.run()
        if "scaleout" in sections:
            from workers.bench import scaleout

            self.stderr.write("Benchmarking 1, 2 and 4 workers on PostgreSQL + S3 (private servers, scratch data)...")
            report["scaleout"] = scaleout.run()
        if "gpu" in sections:
            from workers.bench import unet_full_size

            self.stderr.write("Benchmarking the full-size SDXL UNet (CUDA only)...")
            report["sdxl_unet_full_size"] = unet_full_size.run()
        text = json.dumps(report, indent=2)
        directory = settings.BASE_DIR / "reports" / "bench"
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / f"{report['created'].replace(':', '-')}.json"
        path.write_text(text + "\n")
        self.stdout.write(text)
        self.stderr.write(f"Saved {path}")
