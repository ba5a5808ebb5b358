"""`make bench`: measure, print JSON, keep a copy under reports/bench/."""

import json
import platform
import sys
from datetime import UTC, datetime

from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = (
        "Run the benchmarks and print one JSON document on stdout (also saved as reports/bench/<time>.json): "
        "the SDXL engine on the tiny demo model (cold load, seconds per step and per image at two sizes, LoRA "
        "switch, loads over 10 runs), generation jobs end to end through a private Redis, daphne and one GPU "
        "worker (overhead over the bare pipeline, pickup and first-progress latency, jobs per minute) and, on a "
        "CUDA GPU, a full-size SDXL UNet at 1024x1024 (eager SDPA, "
        "xFormers if installed, torch.compile)."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--skip-gpu", action="store_true", help="Skip the full-size GPU UNet section.")
        parser.add_argument("--skip-jobs", action="store_true", help="Skip the end-to-end jobs section.")

    def handle(self, *args, skip_gpu: bool, skip_jobs: bool, **options) -> None:
        import torch

        from workers.bench import engine_tiny, jobs_e2e, unet_full_size
        from workers.engines.sdxl.runtime import runtime_from_settings

        self.stderr.write("Benchmarking the engine on the tiny model...")
        report = {
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
            "machine": {"python": sys.version.split()[0], "torch": torch.__version__, "platform": platform.platform()},
            "engine_tiny_model": engine_tiny.run(runtime_from_settings(settings)),
        }
        if not skip_jobs:
            self.stderr.write("Benchmarking jobs end to end (private Redis, daphne and worker)...")
            report["jobs_end_to_end"] = jobs_e2e.run()
        if not skip_gpu:
            self.stderr.write("Benchmarking the full-size SDXL UNet (CUDA only)...")
            report["sdxl_unet_full_size"] = unet_full_size.run()
        text = json.dumps(report, indent=2)
        directory = settings.BASE_DIR / "reports" / "bench"
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / f"{report['created'].replace(':', '-')}.json"
        path.write_text(text + "\n")
        self.stdout.write(text)
        self.stderr.write(f"Saved {path}")
